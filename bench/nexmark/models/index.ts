/** The query models by query number. */
import type { QueryModel } from "./model-util.js";
import { query0Model, query1Model, query2Model } from "./simple-models.js";
import { query3Model } from "./query3-model.js";
import { query4Model } from "./query4-model.js";
import { query5Model } from "./query5-model.js";
import { query6Model } from "./query6-model.js";
import { query7Model } from "./query7-model.js";
import { query10Model } from "./query10-model.js";
import { query8Model, query9Model, query11Model, query12Model, query13Model, query14Model, query15Model, query16Model } from "./later-models.js";

export type { QueryModel } from "./model-util.js";
export { winningBidsModel } from "./winning-bids-model.js";

export const MODELS: Readonly<Record<number, QueryModel<never>>> = {
  0: query0Model,
  1: query1Model,
  2: query2Model,
  3: query3Model,
  4: query4Model,
  5: query5Model,
  6: query6Model,
  7: query7Model,
  8: query8Model,
  9: query9Model,
  10: query10Model,
  11: query11Model,
  12: query12Model,
  13: query13Model,
  14: query14Model,
  15: query15Model,
  16: query16Model,
};
