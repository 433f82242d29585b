/**
 * A droplet's resize behind the balancer (components/WebHost.ts): out of its rotation before
 * DigitalOcean powers it off, back once it is healthy again. Run over SSH as the deploy user.
 */
import { OUT_OF_ROTATION_FILE } from "./paths";
import { renderTemplate } from "./render";

/**
 * Fails the droplet's balancer health check, then waits `seconds` for the balancer to notice. The
 * script names `size`, so a resize changes it (and runs it): a remote.Command's environment is set
 * through SSH, which the droplet's sshd refuses for names it does not accept.
 */
export function renderLeaveRotation(size: string, seconds: number): string {
  return renderTemplate("leave-rotation.sh.mustache", {
    file: OUT_OF_ROTATION_FILE,
    size,
    seconds,
  });
}

/** Passes the health check again, waits for `healthPath` to answer here, then `seconds` more. */
export function renderRejoinRotation(size: string, healthPath: string, seconds: number): string {
  return renderTemplate("rejoin-rotation.sh.mustache", {
    file: OUT_OF_ROTATION_FILE,
    size,
    healthPath,
    seconds,
    maxTries: 300,
  });
}
