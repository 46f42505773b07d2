// One page per console (every *.html here); `mediation serve` maps /board, /kiosk, /centre and
// /track/<token> to them and serves /assets/ from the same folder (the consoles.dir setting,
// default web/dist).
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig } from "vite";

const pages = Object.fromEntries(
  readdirSync(import.meta.dirname)
    .filter((name) => name.endsWith(".html"))
    .map((name) => [name.replace(/\.html$/, ""), resolve(import.meta.dirname, name)]),
);

export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, rollupOptions: { input: pages } },
});
