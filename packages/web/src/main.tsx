import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { loadConfig } from "./config";
import "./styles.css";

// The service worker (src/sw.ts): the app opens offline and can show push messages. Not in
// `vite` dev mode, where the files change under it.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  void import("workbox-window").then(({ Workbox }) => new Workbox("/sw.js").register());
}

// The stage's settings (config.json) before the first render: they say where the API is.
void loadConfig().then(() =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
