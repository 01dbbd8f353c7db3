// Live tests drive real engines over SSH; a Docker restart alone can take 12 s.
jest.setTimeout(600000);

// The program's look at hosts for drift (components/host/observe.ts) only ever reaches the lab.
import { setObservationHooks } from "../../components/host/observe";
import { assertLabRoute } from "../support/exec";
setObservationHooks({ guard: (address) => assertLabRoute(address) });
