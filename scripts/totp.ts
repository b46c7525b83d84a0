/**
 * `npm run totp -- <email | demo name | base32 secret>`: prints the current TOTP code of a demo
 * staff account (the secrets seeded by packages/local/src/seed.ts), e.g.
 *   npm run totp -- doctor@demo.carebook.test     (or just: npm run totp -- doctor)
 * and how many seconds it stays current. The code is what an authenticator app enrolled with
 * the same secret shows; the local sign-in (POST /local-auth/token) takes it as "totp".
 * Real time: against a runtime on the controllable clock, compute the code at its clock instead.
 */
import { demoUsers } from "../packages/local/src/seed";
import { isTotpSecret, totpCode, totpStep, totpStepStart } from "../packages/local/src/totp";

function secretOf(arg: string): string | undefined {
  const email = arg.includes("@") ? arg.toLowerCase() : `${arg.toLowerCase()}@demo.carebook.test`;
  const user = demoUsers.find((u) => u.email === email);
  if (user) return user.totpSecret;
  return isTotpSecret(arg) ? arg : undefined;
}

const arg = process.argv[2];
const secret = arg ? secretOf(arg) : undefined;
if (!secret) {
  const staff = demoUsers.filter((u) => u.totpSecret).map((u) => `  ${u.email}`);
  console.error(`usage: npm run totp -- <email | base32 secret>\ndemo accounts with TOTP:\n${staff.join("\n")}`);
  process.exit(2);
}
const now = Date.now();
const secondsLeft = Math.ceil((totpStepStart(totpStep(now) + 1) - now) / 1000);
console.log(totpCode(secret, now));
console.error(`(valid for ${secondsLeft} s more; each code signs in once)`);
