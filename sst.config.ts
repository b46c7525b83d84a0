import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Events } from "./stacks/Events";
import { Storage } from "./stacks/Storage";
import { Workflows } from "./stacks/Workflows";

export default {
  config(_input) {
    return { name: "carebook", region: "eu-west-1" };
  },
  stacks(app) {
    app.stack(Storage).stack(Workflows).stack(Events).stack(Api);
  },
} satisfies SSTConfig;
