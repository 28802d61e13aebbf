/** The Nexmark queries by number. */
import type { QueryFactory } from "./query-util.js";
import { query0 } from "./query0.js";
import { query1 } from "./query1.js";
import { query2 } from "./query2.js";
import { query3 } from "./query3.js";
import { query4 } from "./query4.js";
import { query5 } from "./query5.js";
import { query6 } from "./query6.js";
import { query7 } from "./query7.js";

export type { NexmarkQuery, QueryFactory } from "./query-util.js";

/** Query number to its factory. */
export const QUERIES: Readonly<Record<number, QueryFactory<unknown>>> = {
  0: query0 as QueryFactory<unknown>,
  1: query1 as QueryFactory<unknown>,
  2: query2 as QueryFactory<unknown>,
  3: query3 as QueryFactory<unknown>,
  4: query4 as QueryFactory<unknown>,
  5: query5 as QueryFactory<unknown>,
  6: query6 as QueryFactory<unknown>,
  7: query7 as QueryFactory<unknown>,
};
