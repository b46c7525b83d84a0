/**
 * Questionnaires are data, one per appointment type (stored on the type). This module checks a
 * questionnaire's definition and builds, from it, the zod schema a patient's answers must pass.
 */
import { z } from "zod";

const questionId = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "lower-case letters, digits and dashes");

const base = { id: questionId, text: z.string().min(1).max(300), required: z.boolean().default(true) };

export const questionSchema = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("yes-no") }),
  z.object({ ...base, kind: z.literal("choice"), options: z.array(z.string().min(1).max(60)).min(2).max(20) }),
  z.object({ ...base, kind: z.literal("text"), maxLength: z.number().int().min(1).max(2000).default(500) }),
  z.object({ ...base, kind: z.literal("number"), min: z.number().optional(), max: z.number().optional() }),
]);
export type Question = z.infer<typeof questionSchema>;

export const questionnaireSchema = z
  .object({
    title: z.string().min(1).max(200),
    questions: z.array(questionSchema).min(1).max(50),
  })
  .refine((q) => new Set(q.questions.map((x) => x.id)).size === q.questions.length, {
    message: "question ids must be unique",
    path: ["questions"],
  });
export type Questionnaire = z.infer<typeof questionnaireSchema>;

function answerSchema(question: Question): z.ZodType {
  switch (question.kind) {
    case "yes-no":
      return z.boolean();
    case "choice":
      return z.enum(question.options as [string, ...string[]]);
    case "text":
      return z.string().trim().min(1).max(question.maxLength);
    case "number": {
      let n = z.number().finite();
      if (question.min !== undefined) n = n.min(question.min);
      if (question.max !== undefined) n = n.max(question.max);
      return n;
    }
  }
}

/** The schema of the answers to `questionnaire`: an object keyed by question id, no extra keys. */
export function answersSchema(questionnaire: Questionnaire) {
  const shape: Record<string, z.ZodType> = {};
  for (const question of questionnaire.questions) {
    const answer = answerSchema(question);
    shape[question.id] = question.required ? answer : answer.optional();
  }
  return z.strictObject(shape);
}
