// Live tests drive real engines over SSH; a Docker restart alone can take 12 s.
jest.setTimeout(600000);

// The program's look at hosts for drift (components/host/observe.ts) only ever reaches the lab.
import { setObservationHooks } from "../../components/host/observe";
import { assertLabRoute } from "../support/exec";
import { labLeftClean } from "../support/lab";
setObservationHooks({ guard: (address) => assertLabRoute(address) });

// After each test file (its own afterAll hooks have run): the lab as lab.sh made it, or this file
// fails, naming what it left, and the next file starts clean anyway.
afterAll(async () => {
    const problems = await labLeftClean();
    if (problems.length > 0) {
        throw new Error(
            `this test file left the lab unclean (now put right for the next file):\n  ${problems.join("\n  ")}`,
        );
    }
}, 300000);
