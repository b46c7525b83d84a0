/** Focus goes back to what opened a panel (the row's "Edit" button…) once the panel closes. */
import { useCallback, useRef } from "react";

export function useReturnFocus() {
  const opener = useRef<HTMLElement | null>(null);
  const remember = useCallback(() => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  }, []);
  const restore = useCallback(() => {
    const target = opener.current;
    opener.current = null;
    // After the panel is gone (and the list re-rendered).
    requestAnimationFrame(() => {
      if (target?.isConnected) target.focus();
      else document.querySelector<HTMLElement>("main h1")?.focus();
    });
  }, []);
  return { remember, restore };
}
