// Brings the lab up before the live suite (idempotent). Never skips: without root or the
// packages the lab needs, the suite fails here with the lab script's own message.
import { execFileSync } from "child_process";
import * as path from "path";

export default function setup(): void {
    const script = path.join(__dirname, "..", "lab", "lab.sh");
    const hosts = process.env.DOCKERNET_LAB_HOSTS ?? "4"; // the mesh tests use four
    execFileSync("bash", [script, "up", hosts], { stdio: "inherit" });
}
