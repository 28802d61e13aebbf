/**
 * The Nexmark queries by Beam's numbers: 0–8 the Nexmark suite, 9–16 Beam's own (10 logs
 * to sharded files; 13 and 14 are the side-input joins, 15 and 16 Beam's classes Query13
 * and Query14).
 */
import type { QueryFactory } from "./query-util.js";
import { query0 } from "./query0.js";
import { query1 } from "./query1.js";
import { query2 } from "./query2.js";
import { query3 } from "./query3.js";
import { query4 } from "./query4.js";
import { query5 } from "./query5.js";
import { query6 } from "./query6.js";
import { query7 } from "./query7.js";
import { query8 } from "./query8.js";
import { query9 } from "./query9.js";
import { query10 } from "./query10.js";
import { query11 } from "./query11.js";
import { query12 } from "./query12.js";
import { query13, query14 } from "./side-input-joins.js";
import { query15, query16 } from "./shuffle-queries.js";

export type { NexmarkQuery, QueryFactory } from "./query-util.js";

const all = { 0: query0, 1: query1, 2: query2, 3: query3, 4: query4, 5: query5, 6: query6, 7: query7, 8: query8, 9: query9, 10: query10, 11: query11, 12: query12, 13: query13, 14: query14, 15: query15, 16: query16 };

/** Query number to its factory. */
export const QUERIES: Readonly<Record<number, QueryFactory<unknown>>> = all as Record<number, QueryFactory<unknown>>;
