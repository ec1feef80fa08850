// The page the Hydrogen test serves: boots Hydrogen's own root view model and view from
// hydrogen-view-sdk, the same way the Hydrogen web app starts, against the homeserver named in
// the page's `hs` query parameter. Bundled for the browser by the test with Bun.build.
import { FeatureSet, Platform, RootViewModel, createNavigation, createRouter } from "hydrogen-view-sdk";

async function main() {
  const container = document.querySelector("#app");
  const query = new URLSearchParams(location.search);
  const homeserver = query.get("hs");
  // With Olm, Hydrogen creates an E2EE identity at login (POST /keys/upload) and fails without it.
  const olm = query.get("olm") === "1" ? { wasm: "/olm/olm.wasm", legacyBundle: "/olm/olm_legacy.js", wasmBundle: "/olm/olm.js" } : undefined;
  const platform = new Platform({
    container,
    assetPaths: {
      downloadSandbox: "/assets/download-sandbox.html",
      worker: "/assets/main.js",
      olm,
      // Hydrogen 0.3 hands the session's token to its service worker (for authenticated media).
      serviceWorker: "/sw.js",
    },
    config: { defaultHomeServer: homeserver },
    options: { development: true },
  });
  const navigation = createNavigation();
  platform.setNavigation(navigation);
  await platform.init();
  const urlRouter = createRouter({ navigation, history: platform.history });
  urlRouter.attach();
  const features = await FeatureSet.load(platform.settingsStorage);
  const vm = new RootViewModel({ platform, urlRouter, navigation, features });
  await vm.load();
  platform.createAndMountRootView(vm);
  document.body.dataset.booted = "true";
}

main().catch((error) => {
  document.body.dataset.bootError = String((error && error.stack) || error);
});
