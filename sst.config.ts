import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Auth } from "./stacks/Auth";
import { apps } from "./stacks/config";
import { Edge } from "./stacks/Edge";
import { Events } from "./stacks/Events";
import { Realtime } from "./stacks/Realtime";
import { Storage } from "./stacks/Storage";
import { Waf } from "./stacks/Waf";
import { Web, WebConfig } from "./stacks/Web";
import { Workflows } from "./stacks/Workflows";

/**
 * Two SST apps per stage: the home app (`npx sst deploy --stage <stage>`) and, deployed first,
 * the edge app in us-east-1 with the CloudFront WebACL (`CAREBOOK_APP=edge npx sst deploy
 * --stage <stage>`); SST v2 deploys an app's stacks to one region only (docs/auth-and-edge.md).
 */
export default {
  config(_input) {
    return process.env.CAREBOOK_APP === "edge" ? { ...apps.edge } : { ...apps.home };
  },
  stacks(app) {
    if (app.name === apps.edge.name) {
      app.stack(Waf);
      return;
    }
    // The site before the pools (their sign-ins return to it), its config.json after the rest.
    app
      .stack(Storage)
      .stack(Web)
      .stack(Auth)
      .stack(Workflows)
      .stack(Events)
      .stack(Realtime)
      .stack(Api)
      .stack(Edge)
      .stack(WebConfig);
  },
} satisfies SSTConfig;
