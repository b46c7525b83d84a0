/** The support page as App.tsx routes it: loaded on first use (React.lazy), like the admin pages. */
import { lazy, Suspense } from "react";
import { Loading } from "../../components/ui";

const Page = lazy(() => import("./Support").then((m) => ({ default: m.Support })));

export function Support() {
  return (
    <Suspense fallback={<Loading what="the page" />}>
      <Page />
    </Suspense>
  );
}
