import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Storage } from "./stacks/Storage";

export default {
  config(_input) {
    return { name: "carebook", region: "eu-west-1" };
  },
  stacks(app) {
    app.stack(Storage).stack(Api);
  },
} satisfies SSTConfig;
