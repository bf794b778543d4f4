/** Is a process with this pid alive? (EPERM: alive, but someone else's.) For stale lock and connection files. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
