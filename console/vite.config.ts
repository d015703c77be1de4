import { defineConfig } from "vite";

// The console is served by the Switchboard server at /console/ and calls the API (grpc-web) on the same
// origin. `npm run dev` serves it with hot reload and forwards API calls to SWITCHBOARD_API (default: the
// `./switchboard dev` server on 127.0.0.1:50051).
const api = process.env.SWITCHBOARD_API ?? "http://127.0.0.1:50051";

export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      "/switchboard.v1.": { target: api, changeOrigin: true },
      // the talk socket (a page of this dev server's origin is admitted by `dev`'s CORS origins)
      "/v1/talk": { target: api.replace(/^http/, "ws"), ws: true, changeOrigin: true },
    },
  },
});
