// Cover editor: a live 2D preview drawn on a canvas (the same design the exports draw with Pillow),
// and a 3D book (Three.js) wearing it, turned with the mouse or the arrow keys.
import { pageData } from "./common.js";

const W = 400, H = 640;

function wrap(ctx, text, width) {
  const lines = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && ctx.measureText(`${last} ${word}`).width <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function blend(a, b, t) {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return `rgb(${pa.map((x, i) => Math.round(x + (pb[i] - x) * t)).join(",")})`;
}

export function drawCover(canvas, d, demoLine) {
  const ctx = canvas.getContext("2d");
  const family = d.typography === "sans" ? "system-ui, 'DejaVu Sans', sans-serif" : "'EB Garamond', Georgia, serif";
  ctx.fillStyle = d.background;
  ctx.fillRect(0, 0, W, H);
  const faint = blend(d.background, d.ink, 0.07);
  ctx.lineWidth = 2;
  if (d.layout === "rings") {
    ctx.strokeStyle = faint;
    for (let r = 275; r > 50; r -= 22) { ctx.beginPath(); ctx.arc(200, 262, r, 0, Math.PI * 2); ctx.stroke(); }
  } else if (d.layout === "stripes") {
    ctx.strokeStyle = faint; ctx.lineWidth = 3;
    for (let x = -H; x < W; x += 28) { ctx.beginPath(); ctx.moveTo(x, H); ctx.lineTo(x + H, 0); ctx.stroke(); }
  } else {
    ctx.strokeStyle = blend(d.background, d.accent, 0.6); ctx.strokeRect(22, 22, W - 44, H - 44);
    ctx.strokeStyle = faint; ctx.lineWidth = 1; ctx.strokeRect(28, 28, W - 56, H - 56);
  }
  ctx.fillStyle = d.accent;
  ctx.fillRect(0, 0, W, 14);
  ctx.fillRect(0, H - 14, W, 14);
  ctx.fillRect(150, 80, 100, 2);
  ctx.fillStyle = d.ink;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  let size = 52, lines;
  do {
    ctx.font = `${size}px ${family}`;
    lines = wrap(ctx, d.title || "", 300);
    size -= 2;
  } while (size > 16 && (lines.length * size * 1.15 > 260 || lines.some((l) => ctx.measureText(l).width > 300)));
  let y = 125 + Math.max(0, (260 - lines.length * size * 1.12) / 3);
  for (const line of lines) { ctx.fillText(line, 200, y); y += size * 1.12; }
  ctx.fillStyle = d.accent;
  ctx.fillRect(170, y + 12, 60, 2);
  ctx.fillStyle = d.ink;
  if (d.subtitle) {
    ctx.font = `${d.typography === "sans" ? "" : "italic "}17px ${family}`;
    let sy = y + 32;
    for (const line of wrap(ctx, d.subtitle, 290).slice(0, 4)) { ctx.fillText(line, 200, sy); sy += 22; }
  }
  ctx.font = `15px ${family}`;
  ctx.textBaseline = "alphabetic";
  ctx.fillText((d.author || "").toUpperCase().split("").join("\u200a"), 200, 520);
  if (demoLine) {
    ctx.font = "bold 9px system-ui, sans-serif";
    const width = ctx.measureText(demoLine).width + 16;
    ctx.fillStyle = d.accent;
    ctx.fillRect(200 - width / 2, 565, width, 18);
    ctx.fillStyle = d.background;
    ctx.textBaseline = "middle";
    ctx.fillText(demoLine, 200, 574);
  }
}

function swatch(canvas, bg, ink, accent) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = bg; ctx.fillRect(0, 0, 40, 20);
  ctx.fillStyle = ink; ctx.fillRect(8, 6, 14, 8);
  ctx.fillStyle = accent; ctx.fillRect(26, 6, 8, 8);
}

async function book3d(host, source) {
  let THREE;
  try {
    THREE = await import("../vendor/three/three.module.min.js");
  } catch {
    return null;
  }
  const probe = document.createElement("canvas");
  if (!(probe.getContext("webgl2") || probe.getContext("webgl"))) {
    host.textContent = host.dataset.nowebgl || "";
    return null;
  }
  const renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true });
  const width = host.clientWidth || 300, height = host.clientHeight || 280;
  renderer.setSize(width, height);
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  host.replaceChildren(renderer.domElement);
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(35, width / height, 0.1, 100);
  camera.position.set(0, 0, 7.2);
  scene.add(new THREE.AmbientLight(0xffffff, 1.6));
  const light = new THREE.DirectionalLight(0xffffff, 1.8);
  light.position.set(3, 4, 6);
  scene.add(light);
  const texture = new THREE.CanvasTexture(source);
  texture.colorSpace = THREE.SRGBColorSpace;
  const pages = new THREE.MeshStandardMaterial({ color: 0xf3efe6 });
  const spine = new THREE.MeshStandardMaterial({ color: 0x333333 });
  const back = new THREE.MeshStandardMaterial({ color: 0x333333 });
  const front = new THREE.MeshStandardMaterial({ map: texture });
  // BoxGeometry faces: +x, -x, +y, -y, +z (front), -z (back)
  const mesh = new THREE.Mesh(new THREE.BoxGeometry(2.5, 4, 0.45), [pages, spine, pages, pages, front, back]);
  mesh.rotation.y = -0.5;
  scene.add(mesh);
  const draw = () => renderer.render(scene, camera);
  let dragging = null;
  host.addEventListener("pointerdown", (e) => { dragging = { x: e.clientX, y: e.clientY }; host.setPointerCapture(e.pointerId); });
  host.addEventListener("pointermove", (e) => {
    if (!dragging) return;
    mesh.rotation.y += (e.clientX - dragging.x) * 0.01;
    mesh.rotation.x = Math.max(-0.8, Math.min(0.8, mesh.rotation.x + (e.clientY - dragging.y) * 0.01));
    dragging = { x: e.clientX, y: e.clientY };
    draw();
  });
  host.addEventListener("pointerup", () => { dragging = null; });
  host.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: [0, -0.2], ArrowRight: [0, 0.2], ArrowUp: [-0.2, 0], ArrowDown: [0.2, 0] }[e.key];
    if (!step) return;
    e.preventDefault();
    mesh.rotation.x = Math.max(-0.8, Math.min(0.8, mesh.rotation.x + step[0]));
    mesh.rotation.y += step[1];
    draw();
  });
  draw();
  return { update: () => { texture.needsUpdate = true; spine.color.set(source.dataset.spine || "#333333"); back.color.set(source.dataset.spine || "#333333"); draw(); } };
}

export function coverEditor() {
  return {
    title: "", subtitle: "", author: "", background: "#000000", ink: "#ffffff", accent: "#888888",
    typography: "serif", layout: "rings", three: null, demoLine: "",
    init() {
      const form = this.$el.querySelector("#cover-form");
      for (const name of ["title", "subtitle", "author", "background", "ink", "accent"]) this[name] = form.elements[name].value;
      this.typography = form.querySelector('input[name="typography"]:checked')?.value || "serif";
      this.layout = form.querySelector('input[name="layout"]:checked')?.value || "rings";
      const data = pageData("cover-data");
      this.demoLine = data.demo ? data.demo_line : "";
      this.$el.querySelectorAll("canvas.swatch").forEach((c) => {
        const source = c.dataset.background ? c.dataset : c.parentElement.dataset;
        swatch(c, source.background, source.ink, source.accent);
      });
      this.draw();
      book3d(this.$el.querySelector("#book-3d"), this.$el.querySelector("#cover-canvas")).then((three) => {
        this.three = three;
        this.draw();
      });
    },
    draw() {
      const canvas = this.$el.querySelector ? document.getElementById("cover-canvas") : null;
      if (!canvas) return;
      drawCover(canvas, { title: this.title, subtitle: this.subtitle, author: this.author, background: this.background,
        ink: this.ink, accent: this.accent, typography: this.typography, layout: this.layout }, this.demoLine);
      canvas.dataset.spine = this.background;
      if (this.three) this.three.update();
    },
    pickPalette(event) {
      const d = event.currentTarget.dataset;
      this.background = d.background; this.ink = d.ink; this.accent = d.accent;
      this.$nextTick(() => this.draw());
    },
    useSuggestion(event) {
      const d = event.currentTarget.dataset;
      this.background = d.background; this.ink = d.ink; this.accent = d.accent;
      this.typography = d.typography; this.layout = d.layout;
      this.$nextTick(() => this.draw());
    },
  };
}
