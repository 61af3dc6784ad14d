import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Whether something accepts TCP connections there, decided synchronously (for describe/skip). */
function isListening(host: string, port: number): boolean {
  const probe = `require('node:net').connect(${port}, '${host}')
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))
    .setTimeout(1000, () => process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * describe, when the service the suite needs is there. Under CI=true a missing
 * service fails loudly; elsewhere the suite is skipped with one printed line.
 */
export function describeWithService(name: string, host: string, port: number): jest.Describe {
  if (isListening(host, port)) return describe;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required under CI=true but nothing listens on ${host}:${port}`);
  }
  console.log(`Skipping the ${name} tests: nothing listens on ${host}:${port}.`);
  return describe.skip;
}

/**
 * describe, when this machine can do what the suite needs (root for a mount,
 * a terminal tool); otherwise skipped with one printed line saying why.
 */
export function describeIfCapable(isCapable: boolean, skipReason: string): jest.Describe {
  if (isCapable) return describe;
  console.log(`Skipping: ${skipReason}`);
  return describe.skip;
}

/**
 * Whether `probe` succeeds on this machine, tried in a scratch folder that is
 * removed afterwards: a probe shows a capability by not throwing.
 */
export function canDoInScratchDir(probe: (dir: string) => void): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-probe-'));
  try {
    probe(dir);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whether this machine can set the immutable attribute (chattr +i): it needs
 * CAP_LINUX_IMMUTABLE (root) and a file system that has it (ext4, xfs, btrfs).
 */
export function canMakeImmutable(): boolean {
  return canDoInScratchDir((dir) => {
    const probe = path.join(dir, 'probe');
    writeFileSync(probe, '');
    setImmutable('+i', [probe]);
    setImmutable('-i', [probe]);
  });
}

/**
 * chattr +i or -i. An immutable file refuses writes and deletion even to
 * root, so a test that sets it undoes it in its teardown, before removing
 * its temp folder.
 */
export function setImmutable(flag: '+i' | '-i', files: string[]): void {
  execFileSync('chattr', [flag, ...files], { stdio: 'ignore' });
}

/**
 * Whether this machine lets the tests mount a tmpfs (CAP_SYS_ADMIN). The
 * probe mounts in a throwaway namespace, so probing changes nothing.
 */
export function canMountTmpfs(): boolean {
  return canDoInScratchDir((dir) => {
    execFileSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t tmpfs -o size=64k probe "$0"',
        dir,
      ],
      { stdio: 'ignore', timeout: 5000 },
    );
  });
}
