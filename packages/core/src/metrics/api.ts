/**
 * The request schema of `GET /api/admin/appointments/metrics` (declared in functions/routes.ts;
 * the shared middleware answers 400 when it does not fit).
 */
import { z } from "zod";
import { rangeProblem } from "./report";

const date = z.iso.date({ message: "expected a date yyyy-mm-dd" });

export const metricsQuerySchema = z
  .object({
    /** Omitted: every clinic of the region. */
    clinicId: z.string().trim().min(1).max(100).optional(),
    from: date,
    to: date,
  })
  .superRefine((q, ctx) => {
    // zod still runs this after a malformed date (already reported on its field).
    if (!date.safeParse(q.from).success || !date.safeParse(q.to).success) return;
    const problem = rangeProblem(q.from, q.to);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["to"] });
  });

export type MetricsQueryParams = z.infer<typeof metricsQuerySchema>;
