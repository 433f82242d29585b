/**
 * A droplet's resize behind the balancer (components/WebHost.ts): out of its rotation before
 * DigitalOcean powers it off, back once it is healthy again. Run over SSH as the deploy user.
 */
import { OUT_OF_ROTATION_FILE } from "./paths";
import { renderTemplate } from "./render";

/** Fails the droplet's balancer health check, then waits `seconds` for the balancer to notice. */
export function renderLeaveRotation(seconds: number): string {
  return renderTemplate("leave-rotation.sh.mustache", { file: OUT_OF_ROTATION_FILE, seconds });
}

/** Passes the health check again, waits for `healthPath` to answer here, then `seconds` more. */
export function renderRejoinRotation(healthPath: string, seconds: number): string {
  return renderTemplate("rejoin-rotation.sh.mustache", {
    file: OUT_OF_ROTATION_FILE,
    healthPath,
    seconds,
    maxTries: 300,
  });
}
