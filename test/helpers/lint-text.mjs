// Lints snippets with the project's own eslint.config.mjs through ESLint's Node API, for unit
// tests (jest cannot load an ES module config in-process). stdin: JSON [{ filePath, code }];
// stdout: JSON, per snippet the messages [{ ruleId, message }].
import { ESLint } from 'eslint';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { filePath, code } of JSON.parse(input)) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
process.stdout.write(JSON.stringify(out));
