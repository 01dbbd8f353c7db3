// Live tests drive real engines over SSH; a Docker restart alone can take 12 s.
jest.setTimeout(600000);
