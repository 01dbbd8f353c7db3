// Takes the lab down after the live suite, unless DOCKERNET_KEEP_LAB=1 (for debugging).
import { execFileSync } from "child_process";
import * as path from "path";

export default function teardown(): void {
    if (process.env.DOCKERNET_KEEP_LAB === "1") {
        console.log("DOCKERNET_KEEP_LAB=1: leaving the lab up (npm run lab:down removes it)");
        return;
    }
    execFileSync("bash", [path.join(__dirname, "..", "lab", "lab.sh"), "down"], { stdio: "inherit" });
}
