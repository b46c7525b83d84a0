import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./styles.css";

// The service worker (src/sw.ts): the app opens offline and can show push messages. Not in
// `vite` dev mode, where the files change under it.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  void import("workbox-window").then(({ Workbox }) => new Workbox("/sw.js").register());
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
