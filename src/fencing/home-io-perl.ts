/**
 * The JENKINS_HOME I/O helper as a perl program: the same protocol, the same checks and the same
 * answers as the node helper (home-io-helper.ts), at about a tenth of its memory (an idle `node`
 * is about 40 MiB of RSS whatever its flags; this perl is about 5 MiB: docs/benchmarks.md).
 *
 * It runs under Debian's /usr/bin/perl (never a perl found on PATH) and loads no module but the
 * strict pragma: perl-base is Essential on Debian, so /usr/bin/perl is on every Debian or Ubuntu
 * host and in the Jenkins image, and the core language has sysopen, sysread, syswrite, lstat,
 * rename, chmod and syscall. What it would need a module for comes from the controller on its
 * command line instead, taken from node's own view of this machine: the O_* flags (fs.constants),
 * errno numbers and names (os.constants.errno, so a code reads as node names it) and the numbers
 * of the two system calls perl has no word for, fsync and statfs (per architecture; x64 and
 * arm64, whose struct statfs is the generic one of 64-bit words).
 *
 * Where /usr/bin/perl is missing (an Alpine image) or the architecture is not one of those two,
 * perlHelperCommand() answers null and home-io.ts runs the node helper, as before.
 *
 * Protocol (both helpers): one JSON request per line on stdin, one JSON answer per line on stdout,
 * `{"id":0,"ok":true,"value":"ready"}` first. Requests are flat objects of strings, numbers and
 * booleans (JSON.stringify: no whitespace); a string's bytes are its UTF-8, \uXXXX escapes
 * included. Answers carry file text as raw bytes with `"`, `\` and control characters escaped:
 * the controller's UTF-8 decoder replaces invalid sequences with U+FFFD exactly as the node
 * helper's toString('utf8') does. Differences: mtimeMs has whole seconds (perl's stat; nothing
 * reads it), and every write loops until all bytes are written (node's writeSync writes once).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Debian's perl (perl-base, Essential). */
export const PERL = '/usr/bin/perl';

/** fsync(2) and statfs(2) numbers where struct statfs is 64-bit words (f_bsize at 8, f_bavail at 32). */
const SYSCALLS: Partial<Record<string, { fsync: number; statfs: number }>> = {
  x64: { fsync: 74, statfs: 137 },
  arm64: { fsync: 82, statfs: 43 },
};

export const PERL_HELPER_SOURCE = String.raw`
use strict;
my %K = map {; my ($n, $v) = split /=/, $_, 2; ($n, $v + 0) } split /,/, $ARGV[0];
my %ENAME = map {; split /=/, $_, 2 } split /,/, $ARGV[1];
my $MAX_READ = 1 << 20;
my %ESC = ('"' => '"', '\\' => '\\', '/' => '/', b => "\b", f => "\f", n => "\n", r => "\r", t => "\t");
sub jq {
  my $s = shift;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  return '"' . $s . '"';
}
sub bad { die { message => 'bad request: ' . $_[0] }; }
sub jstr {
  my $o = '';
  for (;;) {
    $o .= $1 if $_[0] =~ /\G([^"\\]+)/gc;
    return $o if $_[0] =~ /\G"/gc;
    if ($_[0] =~ /\G\\u([0-9a-fA-F]{4})/gc) {
      my $c = hex $1;
      if ($c >= 0xD800 && $c <= 0xDBFF && $_[0] =~ /\G\\u([dD][c-fC-F][0-9a-fA-F]{2})/gc) {
        $c = 0x10000 + (($c - 0xD800) << 10) + (hex($1) - 0xDC00);
      } elsif ($c >= 0xD800 && $c <= 0xDFFF) {
        $c = 0xFFFD;
      }
      my $ch = chr $c;
      utf8::encode($ch);
      $o .= $ch;
    } elsif ($_[0] =~ /\G\\(["\\\/bfnrt])/gc) {
      $o .= $ESC{$1};
    } else {
      bad('string');
    }
  }
}
sub parse {
  my $s = shift;
  my %r;
  $s =~ /\G\{/gc or bad('not an object');
  return \%r if $s =~ /\G\}/gc;
  for (;;) {
    $s =~ /\G"/gc or bad('key');
    my $k = jstr($s);
    $s =~ /\G:/gc or bad('colon');
    if ($s =~ /\G"/gc) { $r{$k} = jstr($s); }
    elsif ($s =~ /\G(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)/gc) { $r{$k} = $1 + 0; }
    elsif ($s =~ /\G(true|false|null)/gc) { $r{$k} = $1 eq 'true' ? 1 : $1 eq 'false' ? 0 : undef; }
    else { bad('value'); }
    next if $s =~ /\G,/gc;
    last if $s =~ /\G\}/gc;
    bad('separator');
  }
  return \%r;
}
sub errobj {
  my $n = $! + 0;
  my $text = lc "$!";
  my ($call, $p, $dest) = @_;
  my $code = $ENAME{$n} // ('E' . $n);
  return { code => $code, message => $code . ': ' . $text . ', ' . $call . " '" . $p . "'" . (defined $dest ? " -> '" . $dest . "'" : '') };
}
sub fail { die errobj(@_); }
sub kind {
  my $t = $_[0] & 0170000;
  return $t == 0100000 ? 'file' : $t == 0040000 ? 'a directory' : $t == 0120000 ? 'a symlink' : $t == 0010000 ? 'a FIFO'
    : $t == 0140000 ? 'a socket' : ($t == 0020000 || $t == 0060000) ? 'a device' : 'not a regular file';
}
sub refuse { die { refused => 1, message => $_[0] . ' is ' . $_[1] . ', not a regular file' }; }
sub regular {
  my $p = shift;
  my @st = lstat $p;
  fail('lstat', $p) unless @st;
  my $k = kind($st[2]);
  refuse($p, $k) if $k ne 'file';
}
sub open_checked {
  my ($p, $flags, $mode) = @_;
  my $fh;
  unless (sysopen($fh, $p, $flags | $K{O_NOFOLLOW} | $K{O_NONBLOCK}, $mode // 0666)) {
    refuse($p, 'a symlink') if $! == $K{ELOOP};
    fail('open', $p);
  }
  my @st = stat $fh;
  unless (@st) {
    my $e = errobj('fstat', $p);
    close $fh;
    die $e;
  }
  my $k = kind($st[2]);
  if ($k ne 'file') {
    close $fh;
    refuse($p, $k);
  }
  return $fh;
}
sub write_all {
  my ($fh, $data, $p) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $n = syswrite($fh, $data, length($data) - $off, $off);
    fail('write', $p) unless defined $n;
    $off += $n;
  }
}
sub fsync_fh { syscall($K{SYS_fsync} + 0, fileno($_[0]) + 0) == -1 and fail('fsync', $_[1]); }
# Write (and fsync when durable) into an open file, then close it; the first error wins.
sub fill {
  my ($fh, $data, $durable, $p) = @_;
  my $ok = eval { write_all($fh, $data, $p); fsync_fh($fh, $p) if $durable; 1 };
  my $err = $@;
  unless (close $fh) { ($ok, $err) = (0, errobj('close', $p)) if $ok; }
  die $err unless $ok;
}
sub stat_of {
  return '{"type":' . jq(kind($_[2])) . ',"mode":' . ($_[2] & 07777) . ',"size":' . $_[7] . ',"mtimeMs":' . ($_[9] * 1000) . ',"ino":' . $_[1] . '}';
}
my %OPS = (
  read => sub {
    my $r = shift;
    my @st = lstat $r->{path};
    unless (@st) {
      return 'null' if $! == $K{ENOENT};
      fail('lstat', $r->{path});
    }
    my $k = kind($st[2]);
    refuse($r->{path}, $k) if $k ne 'file';
    my $fh = open_checked($r->{path}, $K{O_RDONLY});
    my $buf = '';
    while (length($buf) < $MAX_READ) {
      my $n = sysread($fh, $buf, $MAX_READ - length($buf), length($buf));
      unless (defined $n) {
        my $e = errobj('read', $r->{path});
        close $fh;
        die $e;
      }
      last if $n == 0;
    }
    close $fh;
    return jq($buf);
  },
  writeAtomic => sub {
    my $r = shift;
    my $fh = open_checked($r->{tmp}, $K{O_WRONLY} | $K{O_CREAT} | $K{O_EXCL}, $r->{mode});
    my $ok = eval {
      fill($fh, $r->{data} // '', $r->{durable}, $r->{tmp});
      rename($r->{tmp}, $r->{path}) or fail('rename', $r->{tmp}, $r->{path});
      1;
    };
    unless ($ok) {
      my $err = $@;
      unlink $r->{tmp};
      die $err;
    }
    return 'true';
  },
  lstat => sub {
    my $r = shift;
    my @st = lstat $r->{path};
    return stat_of(@st) if @st;
    return 'null' if $! == $K{ENOENT};
    fail('lstat', $r->{path});
  },
  stat => sub {
    my $r = shift;
    my @st = stat $r->{path};
    fail('stat', $r->{path}) unless @st;
    return stat_of(@st);
  },
  ensureFile => sub {
    my $r = shift;
    my @st = lstat $r->{path};
    if (@st) {
      my $k = kind($st[2]);
      refuse($r->{path}, $k) if $k ne 'file';
    } elsif ($! != $K{ENOENT}) {
      fail('lstat', $r->{path});
    }
    my $fh = open_checked($r->{path}, $K{O_WRONLY} | $K{O_CREAT} | $K{O_APPEND}, $r->{mode});
    close $fh or fail('close', $r->{path});
    return 'true';
  },
  probeWrite => sub {
    my $r = shift;
    my $fh = open_checked($r->{path}, $K{O_WRONLY} | $K{O_CREAT} | $K{O_EXCL}, 0600);
    my $ok = eval { fill($fh, "probe\n", $r->{durable}, $r->{path}); 1 };
    my $err = $@;
    unlink $r->{path};
    die $err unless $ok;
    return 'true';
  },
  statfs => sub {
    my $r = shift;
    my $p = '' . $r->{path};
    my $buf = "\0" x 256;
    syscall($K{SYS_statfs} + 0, $p, $buf) == -1 and fail('statfs', $p);
    my ($bsize, $bavail) = unpack('x8 Q x16 Q', $buf);
    return '{"freeBytes":' . ($bavail * $bsize) . '}';
  },
  chmod => sub {
    my $r = shift;
    regular($r->{path});
    chmod($r->{mode}, $r->{path}) or fail('chmod', $r->{path});
    return 'true';
  },
  unlink => sub {
    my $r = shift;
    return 'true' if unlink $r->{path};
    return 'false' if $! == $K{ENOENT};
    fail('unlink', $r->{path});
  },
);
binmode STDIN;
binmode STDOUT;
$| = 1;
print '{"id":0,"ok":true,"value":"ready"}', "\n";
while (defined(my $line = <STDIN>)) {
  chomp $line;
  my $id = -1;
  my $out;
  my $ok = eval {
    my $r = parse($line);
    $id = $r->{id} if defined $r->{id} && $r->{id} =~ /^-?[0-9]+$/;
    my $op = $OPS{$r->{op} // ''} or die { message => 'unknown op ' . ($r->{op} // 'undefined') };
    $out = '{"id":' . $id . ',"ok":true,"value":' . $op->($r) . '}';
    1;
  };
  unless ($ok) {
    my $e = ref $@ eq 'HASH' ? $@ : { message => '' . $@ };
    $out = '{"id":' . $id . ',"ok":false,"refused":' . ($e->{refused} ? 'true' : 'false') . ',"code":' . (defined $e->{code} ? jq($e->{code}) : 'null') . ',"message":' . jq($e->{message}) . '}';
  }
  print $out, "\n";
}
exit 0;
`;

let cached: readonly string[] | null | undefined;

/**
 * `/usr/bin/perl -e PERL_HELPER_SOURCE <constants> <errno names>`, or null when this host cannot
 * run it (no executable /usr/bin/perl, or an architecture without a known fsync/statfs number).
 * Decided once per process.
 */
export function perlHelperCommand(): readonly string[] | null {
  if (cached !== undefined) return cached;
  cached = null;
  const sys = SYSCALLS[process.arch];
  if (!sys) return cached;
  try {
    fs.accessSync(PERL, fs.constants.X_OK);
  } catch {
    return cached;
  }
  const c = fs.constants;
  const e = os.constants.errno;
  const k: Record<string, number> = {
    O_RDONLY: c.O_RDONLY,
    O_WRONLY: c.O_WRONLY,
    O_CREAT: c.O_CREAT,
    O_EXCL: c.O_EXCL,
    O_APPEND: c.O_APPEND,
    O_NOFOLLOW: c.O_NOFOLLOW,
    O_NONBLOCK: c.O_NONBLOCK,
    ENOENT: e.ENOENT,
    ELOOP: e.ELOOP,
    SYS_fsync: sys.fsync,
    SYS_statfs: sys.statfs,
  };
  // errno number -> the first name node lists for it (EAGAIN before EWOULDBLOCK, ENOTSUP before EOPNOTSUPP).
  const names = new Map<number, string>();
  for (const [name, n] of Object.entries(e)) if (!names.has(n)) names.set(n, name);
  cached = [
    PERL,
    '-e',
    PERL_HELPER_SOURCE,
    Object.entries(k)
      .map(([n, v]) => `${n}=${v}`)
      .join(','),
    [...names].map(([n, name]) => `${n}=${name}`).join(','),
  ];
  return cached;
}
