import type { ChildProcess } from "node:child_process";

/**
 * Stops a server started `detached` (its own process group): SIGTERM to the group, at most `graceMs` for every process
 * in it to finish, then SIGKILL to whatever is left (a stuck server, a worker or a build it forked).
 *
 * It waits for the group, not for `child` alone: under `npm start`, npm exits at once on SIGTERM while the server it
 * started is still finishing its requests and closing the database.
 */
export async function stopProcessGroup(child: ChildProcess, graceMs = 15_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // ESRCH: the group is gone.
      return false;
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (signalGroup(0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  signalGroup("SIGKILL");
}
