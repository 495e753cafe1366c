// The checkout's return page: asks the API whether the gateway's webhook has confirmed the payment,
// every 2 s for 2 minutes, and reloads the page (rendered by the server, translated) once it has.
import { api } from "./common.js";

const EVERY_MS = 2000;
const GIVE_UP_MS = 120000;

export function start() {
  const box = document.getElementById("confirming");
  if (!box) return;
  const url = box.dataset.pollUrl;
  const began = Date.now();
  async function check() {
    try {
      const { data } = await api("GET", url);
      if (data.subscription && data.subscription.status !== box.dataset.status) {
        window.location.reload();
        return;
      }
    } catch {
      // a network hiccup or a restart: try again at the next tick
    }
    if (Date.now() - began > GIVE_UP_MS) {
      document.getElementById("taking-long").hidden = false;
      return;
    }
    setTimeout(check, EVERY_MS);
  }
  setTimeout(check, EVERY_MS);
}
