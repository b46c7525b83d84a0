/** Visit types and clinics by id, read once per session (they change rarely). */
import type { ResponseOf } from "./api/client";
import { useLoad } from "./components/ui";
import { useSession } from "./session";

export type Clinic = ResponseOf<"GET /api/clinics">["clinics"][number];
export type VisitType = ResponseOf<"GET /api/appointments/types">["types"][number];

let cached: Promise<{ types: VisitType[]; clinics: Clinic[] }> | undefined;

export function useCatalog() {
  const { call } = useSession();
  const loaded = useLoad(() => {
    cached ??= Promise.all([call("GET /api/appointments/types", {}), call("GET /api/clinics", {})])
      .then(([t, c]) => ({ types: t.types, clinics: c.clinics }))
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    return cached;
  }, [call]);
  const types = loaded.data?.types ?? [];
  const clinics = loaded.data?.clinics ?? [];
  return {
    ...loaded,
    types,
    clinics,
    typeName: (id: string) => types.find((t) => t.id === id)?.name ?? id,
    clinic: (id: string) => clinics.find((c) => c.id === id),
    clinicName: (id: string) => clinics.find((c) => c.id === id)?.name ?? id,
  };
}
