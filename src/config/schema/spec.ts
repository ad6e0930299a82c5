/** The shape of the schema's key specs, shared by the section files and the index. */

/** One key, before `buildSchema` adds its env var and flag. */
export interface KeySpec<T> {
  readonly doc: string;
  readonly default: T;
  readonly format: string | string[] | ((val: unknown) => void);
  readonly sensitive?: boolean;
  /** How the default is shown in docs when it depends on the machine (e.g. the host name). */
  readonly docDefault?: string;
}

/** What a key's value may be. */
export type LeafValue = string | number | boolean | readonly string[];

/** A spec tree that mirrors `Config` key for key (checked by the compiler). */
export type SpecTree<T> = {
  readonly [K in keyof T]: T[K] extends LeafValue ? KeySpec<T[K]> : SpecTree<T[K]>;
};
