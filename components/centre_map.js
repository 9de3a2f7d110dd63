// Centre map: a Leaflet map of children's centres for Streamlit components v2.
//
// Loaded by components/centre_map.py as the component's inline JS. Streamlit runs it
// from a blob: URL and calls the default export again every time `data` changes, so
// everything long-lived (the Leaflet map, the fetched boundaries, the selection) is
// kept on the component's root element (`root.__cm`) and each call only updates what
// changed. Leaflet is imported from the app's own static files (no CDN).
//
// Events sent to Python (trigger values; each needs an on_<name>_change callback):
//   move   {centre_ids: [...], group: "<label>" | "__new__", seq, t}
//   action {kind: "close" | "reopen" | "merge", centre_id, target, seq, t}
//   select {centre_ids: [...], seq, t}
//
// Every string that comes from data (names, labels, ids) reaches the DOM through
// textContent / setAttribute, or esc() where Leaflet insists on an HTML string.

const NEW_GROUP = "__new__";
const DROP_RADIUS_PX = 30; // drop within this distance of an open centre -> its group
const BADGE_SLACK_PX = 12; // drop this close to a group badge's box -> that group
const CANCEL_RADIUS_PX = 12; // a drag shorter than this is not a move
const PENDING_TIMEOUT_MS = 10000; // forget an optimistic move the server never confirmed (a busy server: seconds)
const NEW_GROUP_COLOUR = "#ffffff";
const CLOSED_COLOUR = "#8a8a8a";
const AREA_DEFAULT_FILL = "#d9d9d9";
const MARKER_SIZE = 36; // outer box of a centre marker (the visible pin is 32 px)
const FIT_PAD_PX = 20; // around the fitted bounds: a pin on the county's edge stays whole
const LEGEND_OPEN_MIN_HEIGHT = 700; // shorter maps start with the legend collapsed
const NAME_ZOOM = 13; // from this zoom, centre names are written under the markers
const LABEL_GAP_PX = 4; // labels closer than this count as overlapping
const FLAG_REACH_X_PX = 17; // the red "!" sticks out this far right of a pin's top-right corner
const FLAG_REACH_Y_PX = 13; // ... and this far above it
const LABEL_Z = 1000; // markers showing their label are drawn over those reduced to a dot
const RISE_Z = 5000; // a hovered marker rises over everything

/** Escape a value for use inside HTML text or a quoted attribute. */
export function esc(value) {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function safeColour(value, fallback = "#9e9e9e") {
  return typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value) ? value : fallback;
}

/** WCAG relative luminance of `hex` (0 black .. 1 white). */
function luminance(hex) {
  let h = safeColour(hex).slice(1);
  if (h.length === 3 || h.length === 4) h = [...h.slice(0, 3)].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255);
  const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/**
 * Black or white text, whichever contrasts more with `hex`. With pure black and white one of the
 * two always reaches at least 4.58:1 (WCAG AA for normal text is 4.5:1); a near-black would not on
 * mid-tones (#111 on #999933 after the old 0.36 threshold gave white at 3.0:1).
 */
function inkFor(hex) {
  const lum = luminance(hex);
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmtInt(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-GB") : "–";
}

function fmtPct(x) {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : "–";
}

function round1(x) {
  return Math.round(x * 10) / 10;
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function naturalCompare(a, b) {
  return String(a).localeCompare(String(b), "en-GB", { numeric: true, sensitivity: "base" });
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

export default async function centreMap(component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".cm-root");
  if (!root || !data) return undefined;

  let st = root.__cm;
  if (!st) {
    st = createState(root);
    root.__cm = st;
  }
  st.send = setTriggerValue;
  st.latest = data;

  try {
    if (!st.initPromise) st.initPromise = init(st, data);
    await st.initPromise;
  } catch (err) {
    showMessage(st, `The map could not start: ${err && err.message ? err.message : err}`);
    st.mapEl.dataset.ready = "error";
    return () => destroy(st);
  }
  // A newer call (newer data) may have arrived while we waited: it renders instead.
  if (st.latest === data) render(st, data);
  return () => destroy(st);
}

function createState(root) {
  const mapEl = root.querySelector(".cm-map");
  return {
    root,
    mapEl,
    mapLabel: mapEl ? mapEl.getAttribute("aria-label") || "" : "",
    live: null, // a polite live region: what a selection or a move did, for screen readers
    L: null,
    map: null,
    send: null,
    latest: null,
    initPromise: null,
    seq: 0,
    data: null,
    centres: new Map(), // id -> centre dict from the latest data
    markers: new Map(), // id -> {marker, pin, label}
    groups: new Map(), // label -> group dict
    badges: new Map(), // label -> badge element
    badgeLayer: null,
    areaLayer: null,
    areaById: new Map(),
    boundariesUrl: null,
    boundariesLoading: null,
    boundaryFetches: 0,
    areaKey: null,
    legendKey: null,
    groupsKey: null,
    fitKey: undefined,
    initialViewDone: false,
    userMovedMap: false,
    tileLayer: null,
    selected: new Set(),
    pending: new Map(), // id -> {target, from, colour, label, t0, renders}
    drag: null,
    box: null,
    suppressClickUntil: 0,
    renderCount: 0,
    legendOpen: null, // null until the first render: then from the map's height; the user's toggle after
    legendOpenParam: undefined, // the last `legend_open` received
    lastFit: null, // the bounds of the last fit (refitted on resize until the user moves the map)
    fitData: null, // fit_bounds as received (widened to the boundaries once they are loaded)
    areaBounds: null,
    declutterCount: 0,
    cleanups: [],
  };
}

function nextSeq(st) {
  st.seq = Math.max(st.seq + 1, Date.now());
  return st.seq;
}

/** A read-only view: nothing can be dragged, selected or changed (the server refuses it too). */
function readOnly(st) {
  return Boolean(st.data && st.data.readonly);
}

function sendEvent(st, name, payload) {
  if (readOnly(st) && name !== "select") return null;
  const value = { ...payload, seq: nextSeq(st), t: Date.now() };
  st.mapEl.dataset[`last${name[0].toUpperCase()}${name.slice(1)}Seq`] = String(value.seq);
  if (st.send) st.send(name, value);
  return value;
}

/** Say `text` to screen readers (a visually hidden polite live region beside the map). */
function announce(st, text) {
  if (!st.live) {
    st.live = el("div", "cm-live");
    st.live.setAttribute("role", "status");
    st.live.setAttribute("aria-live", "polite");
    st.root.appendChild(st.live);
  }
  // Same words twice in a row must still be read: clear, then write on the next frame.
  st.live.textContent = "";
  requestAnimationFrame(() => {
    if (st.live) st.live.textContent = text;
  });
}

function showMessage(st, text) {
  let box = st.root.querySelector(".cm-msg");
  if (!text) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = el("div", "cm-msg");
    box.setAttribute("role", "status");
    st.root.appendChild(box);
  }
  box.textContent = text;
}

function loadCss(st, href) {
  return new Promise((resolve) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    const done = () => resolve();
    link.addEventListener("load", done, { once: true });
    link.addEventListener("error", () => {
      showMessage(st, `Leaflet styles not found at ${href}`);
      resolve();
    }, { once: true });
    setTimeout(done, 4000);
    st.root.insertBefore(link, st.root.firstChild);
  });
}

async function init(st, data) {
  const tStart = performance.now();
  const base = String(data.static_base || "/app/static").replace(/\/+$/, "");
  const cssUrl = new URL(`${base}/vendor/leaflet/leaflet.css`, location.origin).href;
  const jsUrl = new URL(`${base}/vendor/leaflet/leaflet-src.esm.js`, location.origin).href;
  const [, L] = await Promise.all([loadCss(st, cssUrl), import(jsUrl)]);
  st.L = L;
  st.mapEl.dataset.leafletLoadMs = String(round1(performance.now() - tStart));

  st.mapEl.style.height = `${Number(data.height) || 640}px`;
  const map = L.map(st.mapEl, {
    boxZoom: false, // shift+drag is our box select
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    wheelPxPerZoomLevel: 120,
    keyboard: true,
    center: [52.63, 1.29],
    zoom: 9,
  });
  st.map = map;
  focusWithoutScrolling(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>',
  );

  map.createPane("cm-areas").style.zIndex = "350";
  // Over the markers (600; under tooltips 650 and popups 700): a badge that shows its label covers
  // only dots (labels never overlap, see declutter); it takes no pointer events, so a dot under it
  // can still be hovered, clicked and dropped on.
  const badgePane = map.createPane("cm-badges");
  badgePane.style.zIndex = "610";
  badgePane.style.pointerEvents = "none";
  st.areaRenderer = L.canvas({ pane: "cm-areas", padding: 0.3 });
  st.badgeLayer = L.layerGroup().addTo(map);
  st.markerLayer = L.layerGroup().addTo(map);

  const Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd() {
      const div = el("div", "cm-legend");
      div.setAttribute("role", "group");
      div.setAttribute("aria-label", "Map key");
      const toggle = el("button", "cm-legend-toggle");
      toggle.type = "button";
      toggle.setAttribute("data-role", "legend-toggle");
      toggle.addEventListener("click", () => setLegendOpen(st, !st.legendOpen));
      const body = el("div", "cm-legend-body");
      body.id = `cm-legend-body-${Math.random().toString(36).slice(2)}`;
      toggle.setAttribute("aria-controls", body.id);
      div.append(toggle, body);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });
  st.legendControl = new Legend().addTo(map);

  map.on("moveend zoomend", () => {
    const c = map.getCenter();
    st.mapEl.dataset.zoom = String(round2(map.getZoom()));
    st.mapEl.dataset.center = `${c.lat.toFixed(5)},${c.lng.toFixed(5)}`;
  });
  map.on("zoomend viewreset", () => {
    if (!st.rendering) declutter(st);
  });
  map.on("dragstart zoomstart", (e) => {
    if (e && e.type === "zoomstart" && st.fitting) return;
    st.userMovedMap = true;
  });
  map.on("click", (e) => {
    if (performance.now() < st.suppressClickUntil) return;
    if (e.originalEvent && e.originalEvent.shiftKey) return;
    if (st.selected.size) setSelection(st, new Set(), true);
  });

  installBoxSelect(st);
  // A popup opened from the keyboard (Enter/Space on a marker) gives the focus back to its marker when it closes (Esc, its
  // close button, an action), unless the focus has gone elsewhere (e.g. a click on the map).
  map.on("popupclose", (e) => {
    if (!st.popup || e.popup !== st.popup) return;
    const entry = st.popupFromKey ? st.markers.get(st.popupFor) : null;
    st.popup = null;
    st.popupFor = null;
    // The focus is in the closing popup (Leaflet fades it out before removing it), or it went with
    // it and fell back to <body>.
    const active = document.activeElement;
    const inner = st.root.getRootNode().activeElement;
    const box = e.popup.getElement();
    const lost = !active || active === document.body || (inner && box && box.contains(inner));
    const icon = entry && entry.marker.getElement();
    if (icon && lost) icon.focus({ preventScroll: true });
  });
  const onKey = (e) => {
    if (e.key !== "Escape") return;
    // Esc inside a centre's popup closes it (the focus goes back to its marker); elsewhere on the
    // map it clears the selection (and Leaflet closes an open popup).
    if (st.popup && map.hasLayer(st.popup) && e.target && e.target.closest && e.target.closest(".leaflet-popup")) {
      e.stopPropagation();
      map.closePopup(st.popup);
      return;
    }
    if (st.selected.size) setSelection(st, new Set(), true);
  };
  st.root.addEventListener("keydown", onKey);
  st.cleanups.push(() => st.root.removeEventListener("keydown", onKey));

  if (typeof ResizeObserver !== "undefined") {
    const ro = new ResizeObserver(() => {
      map.invalidateSize({ pan: false });
      if (st.deferredFit) fitTo(st, st.deferredFit);
      else if (st.lastFit && !st.userMovedMap) fitTo(st, st.lastFit); // e.g. the window was resized
    });
    ro.observe(st.mapEl);
    st.cleanups.push(() => ro.disconnect());
  }
  st.mapEl.dataset.initMs = String(round1(performance.now() - tStart));
}

/**
 * Leaflet focuses the map container on every mousedown (for its keyboard handler) with a plain
 * `focus()`, then restores `window`'s scroll position. In Streamlit the page scrolls inside
 * `<section data-testid="stMain">`, not the window: when the map is taller than what is on screen
 * (1280x720), the browser scrolls that section to show the whole map, the marker under the pointer
 * moves away before mouseup, and the click is lost. Focus without scrolling instead.
 */
function focusWithoutScrolling(map) {
  const kb = map.keyboard;
  if (!kb || typeof kb._onMouseDown !== "function") return;
  const wasEnabled = kb.enabled();
  if (wasEnabled) kb.disable(); // the DOM listener is bound to the method when enabled
  kb._onMouseDown = function onMouseDown() {
    if (this._focused) return;
    this._map._container.focus({ preventScroll: true });
  };
  if (wasEnabled) kb.enable();
}

function destroy(st) {
  for (const fn of st.cleanups.splice(0)) {
    try {
      fn();
    } catch (_err) {
      /* ignore */
    }
  }
  if (st.map) st.map.remove();
  st.map = null;
  if (st.root.__cm === st) delete st.root.__cm;
}

// ---------------------------------------------------------------------------
// Rendering (idempotent: called with every new `data`)
// ---------------------------------------------------------------------------

function render(st, data) {
  st.rendering = true;
  try {
    renderNow(st, data);
  } finally {
    st.rendering = false;
  }
  declutter(st);
}

function renderNow(st, data) {
  const { map } = st;
  st.data = data;
  st.renderCount += 1;
  st.mapEl.dataset.renderCount = String(st.renderCount);
  const h = `${Number(data.height) || 640}px`;
  if (st.mapEl.style.height !== h) {
    st.mapEl.style.height = h;
    map.invalidateSize({ pan: false });
  }

  const label = data.readonly ? `${st.mapLabel} Read-only: moves and closures are switched off.` : st.mapLabel;
  if (label && st.mapEl.getAttribute("aria-label") !== label) st.mapEl.setAttribute("aria-label", label);
  st.centres = new Map((data.centres || []).map((c) => [String(c.id), c]));
  renderTiles(st, data);
  renderAttribution(st, data);
  renderLegend(st, data);
  renderBadges(st, data);
  reconcilePending(st);
  syncFigures(st);
  renderMarkers(st);
  const before = st.selected.size;
  st.selected = new Set([...st.selected].filter((id) => st.centres.has(id)));
  if (st.selected.size !== before) paintAll(st);
  applyView(st, data);

  const url = data.boundaries_url || null;
  if (url !== st.boundariesUrl) {
    loadBoundaries(st, url);
  } else if (st.areaLayer) {
    restyleAreas(st, data.area_style || {});
  }
  if (!st.boundariesLoading) st.mapEl.dataset.ready = st.boundariesError ? "error" : "1";
}

function renderTiles(st, data) {
  const { L, map } = st;
  if (data.tiles && !st.tileLayer) {
    st.tileLayer = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    }).addTo(map);
    st.mapEl.classList.add("cm-has-tiles");
  } else if (!data.tiles && st.tileLayer) {
    map.removeLayer(st.tileLayer);
    st.tileLayer = null;
    st.mapEl.classList.remove("cm-has-tiles");
  }
}

function renderAttribution(st, data) {
  const text = data.attribution ? String(data.attribution) : "";
  if (text === st.attributionText) return;
  const ctl = st.map.attributionControl;
  if (st.attributionText) ctl.removeAttribution(esc(st.attributionText));
  if (text) ctl.addAttribution(esc(text));
  st.attributionText = text;
}

function renderLegend(st, data) {
  const key = JSON.stringify(data.legend || []);
  const box = st.legendControl.getContainer();
  const body = box.querySelector(".cm-legend-body");
  body.style.maxHeight = `${Math.round((Number(data.height) || 640) * 0.55)}px`;
  // Python's `legend_open` (or, with None, the map's height) sets the state when it changes; the
  // user's toggle holds until then (it survives reruns).
  const want = typeof data.legend_open === "boolean" ? data.legend_open : null;
  if (st.legendOpen === null || want !== st.legendOpenParam) {
    st.legendOpenParam = want;
    st.legendOpen = want ?? (Number(data.height) || 640) >= LEGEND_OPEN_MIN_HEIGHT;
  }
  setLegendOpen(st, st.legendOpen);
  if (key === st.legendKey) return;
  st.legendKey = key;
  body.replaceChildren();
  for (const item of data.legend || []) {
    const row = el("div", "cm-legend-row");
    const sw = el("span", "cm-swatch");
    sw.setAttribute("aria-hidden", "true"); // the label beside it says what the colour means
    sw.style.background = safeColour(item.colour);
    row.append(sw, el("span", "cm-legend-label", item.label));
    body.appendChild(row);
  }
  const keyRows = [
    ["cm-key-closed", "✕", "closed / merged centre"],
    ["cm-key-illustrative", "", "illustrative location"],
    ["cm-key-flag", "!", "breaks a rule (see its tooltip)"],
    ["cm-key-dot", "", "label hidden where centres crowd: hover, or zoom in"],
  ];
  const foot = el("div", "cm-legend-key");
  for (const [cls, sym, text] of keyRows) {
    const row = el("div", "cm-legend-row");
    const symbol = el("span", `cm-key ${cls}`, sym);
    symbol.setAttribute("aria-hidden", "true");
    row.append(symbol, el("span", "cm-legend-label", text));
    foot.appendChild(row);
  }
  body.appendChild(foot);
}

/** Open or collapse the legend (a button in the map's corner; collapsed it covers almost nothing). */
function setLegendOpen(st, open) {
  st.legendOpen = Boolean(open);
  const box = st.legendControl && st.legendControl.getContainer();
  if (!box) return;
  const toggle = box.querySelector(".cm-legend-toggle");
  box.classList.toggle("cm-legend-open", st.legendOpen);
  box.setAttribute("data-open", st.legendOpen ? "1" : "0");
  // The accessible name is the visible words (WCAG 2.5.3 label in name: "click Show key" works in
  // voice control); the arrow is decoration, aria-expanded tells the state.
  const arrow = el("span", "cm-legend-arrow", st.legendOpen ? " ▾" : " ▸");
  arrow.setAttribute("aria-hidden", "true");
  toggle.replaceChildren(st.legendOpen ? "Hide key" : "Show key", arrow);
  toggle.setAttribute("aria-expanded", st.legendOpen ? "true" : "false");
  toggle.removeAttribute("aria-label");
}

function renderBadges(st, data) {
  const { L } = st;
  st.groups = new Map((data.groups || []).map((g) => [String(g.label), g]));
  // A group of one needs no badge: its only marker already shows the label and is
  // the drop target (and a badge would sit right under it).
  const members = new Map();
  for (const c of data.centres || []) {
    if ((c.status || "open") !== "open") continue;
    members.set(String(c.group), (members.get(String(c.group)) || 0) + 1);
  }
  const key = JSON.stringify([data.groups || [], [...members]]);
  if (key !== st.groupsKey) {
    st.groupsKey = key;
    st.badgeLayer.clearLayers();
    st.badges = new Map();
    for (const g of data.groups || []) {
      if (!Number.isFinite(g.lat) || !Number.isFinite(g.lon)) continue;
      const label = String(g.label);
      if ((members.get(label) || 0) < 2) continue;
      const badge = el("div", "cm-badge", label);
      badge.style.setProperty("--c", safeColour(g.colour));
      badge.setAttribute("data-group-badge", label);
      badge.setAttribute("data-label-shown", "1");
      const icon = L.divIcon({ className: "cm-badge-wrap", html: badge, iconSize: [0, 0] });
      L.marker([g.lat, g.lon], { icon, interactive: false, keyboard: false, pane: "cm-badges" }).addTo(
        st.badgeLayer,
      );
      st.badges.set(label, badge);
    }
  }
  const hl = data.highlight_group;
  for (const [label, badge] of st.badges) {
    badge.classList.toggle("cm-dim", !!hl && label !== hl);
    badge.classList.toggle("cm-hl", !!hl && label === hl);
  }
}

function renderMarkers(st) {
  const { L } = st;
  for (const [id, entry] of st.markers) {
    if (!st.centres.has(id)) {
      st.markerLayer.removeLayer(entry.marker);
      st.markers.delete(id);
    }
  }
  for (const [id, c] of st.centres) {
    if (!Number.isFinite(c.lat) || !Number.isFinite(c.lon)) continue;
    let entry = st.markers.get(id);
    if (!entry) {
      const wrap = el("div", "cm-mk");
      const pin = el("div", "cm-pin");
      const label = el("span", "cm-pin-label");
      pin.appendChild(label);
      const name = el("div", "cm-name");
      name.setAttribute("aria-hidden", "true"); // the marker's aria-label already names it
      wrap.append(pin, name);
      const icon = L.divIcon({
        className: "cm-marker",
        html: wrap,
        iconSize: [MARKER_SIZE, MARKER_SIZE],
        iconAnchor: [MARKER_SIZE / 2, MARKER_SIZE / 2],
      });
      const marker = L.marker([c.lat, c.lon], {
        icon,
        draggable: true,
        autoPan: false,
        keyboard: true,
        riseOnHover: true,
        riseOffset: RISE_Z,
        bubblingMouseEvents: false,
      });
      entry = { id, marker, pin, label, name, shown: null };
      marker.bindTooltip(el("div"), { direction: "auto", offset: [0, -20], className: "cm-tip", opacity: 1 });
      marker.on("click", (e) => onMarkerClick(st, id, e));
      // Enter or Space on a focused marker does what a click does (Shift too: toggle the selection).
      marker.on("keydown", (e) => onMarkerKey(st, id, e));
      marker.on("dragstart", () => onDragStart(st, id));
      marker.on("drag", () => onDrag(st));
      marker.on("dragend", () => onDragEnd(st));
      marker.addTo(st.markerLayer);
      st.markers.set(id, entry);
    } else if (!st.drag) {
      const ll = entry.marker.getLatLng();
      if (ll.lat !== c.lat || ll.lng !== c.lon) entry.marker.setLatLng([c.lat, c.lon]);
    }
    entry.marker.setTooltipContent(tooltipContent(st, c));
    entry.name.textContent = shortName(c.name);
    const open = (c.status || "open") === "open";
    if (entry.marker.dragging) {
      if (open && !readOnly(st)) entry.marker.dragging.enable();
      else entry.marker.dragging.disable();
    }
    paintMarker(st, id);
  }
}

/**
 * A centre's name as written under its marker: without the "Children's Centre" most names carry
 * and without a bracketed aside (the tooltip and popup give the full name).
 */
function shortName(name) {
  const full = String(name ?? "");
  const s = full
    .replace(/\s*\([^)]*\)?\s*$/, "") // "(earlier: ...)" or an unclosed "(..." at the end
    .replace(/\s*\b(sure start\s+)?children[’']s cent(re|er)\b/gi, "")
    .replace(/\s{2,}/g, " ")
    .trim();
  return s || full;
}

function tooltipContent(st, c) {
  const box = el("div", "cm-tip-body");
  box.appendChild(el("div", "cm-tip-name", c.name));
  const status = (c.status || "open") === "open" ? "" : ` · ${c.status}`;
  box.appendChild(el("div", "cm-tip-line", `Group ${c.label ?? c.group ?? "–"}${status}`));
  box.appendChild(el("div", "cm-tip-line", `Reach ${fmtInt(c.reach)} children 0-4`));
  box.appendChild(el("div", "cm-tip-line", `Deprived share ${fmtPct(c.deprived_share)}`));
  for (const line of (Array.isArray(c.details) ? c.details : []).slice(0, 3)) {
    box.appendChild(el("div", "cm-tip-detail", String(line).slice(0, 160)));
  }
  if (c.illustrative) box.appendChild(el("div", "cm-tip-warn", "illustrative location"));
  if (c.flag) box.appendChild(el("div", "cm-tip-flag", `⚠ ${c.flag}`));
  for (const note of (Array.isArray(c.notes) ? c.notes : []).slice(0, 3)) {
    box.appendChild(el("div", "cm-tip-note", `✎ ${String(note).slice(0, 140)}`));
  }
  return box;
}

/** What a centre looks like right now: server data, overridden by a pending local move. */
function displayOf(st, id) {
  const c = st.centres.get(id);
  const p = st.pending.get(id);
  const status = (c && c.status) || "open";
  if (p) return { group: p.target, label: p.label, colour: p.colour, status, pending: true };
  return {
    group: c ? String(c.group) : "",
    label: c ? String(c.label ?? c.group ?? "") : "",
    colour: safeColour(c && c.colour),
    status,
    pending: false,
  };
}

function paintMarker(st, id) {
  const entry = st.markers.get(id);
  const c = st.centres.get(id);
  if (!entry || !c) return;
  const elIcon = entry.marker.getElement();
  const d = displayOf(st, id);
  const open = d.status === "open";
  const hl = st.data && st.data.highlight_group;
  const colour = open ? d.colour : CLOSED_COLOUR;
  entry.pin.style.background = open ? colour : "";
  entry.pin.style.color = open ? inkFor(colour) : "";
  entry.label.textContent = open ? d.label : "✕";
  if (!elIcon) return;
  elIcon.classList.toggle("cm-closed", !open);
  elIcon.classList.toggle("cm-illustrative", !!c.illustrative);
  elIcon.classList.toggle("cm-flagged", open && !!c.flag);
  elIcon.setAttribute("data-flag", open && c.flag ? "1" : "0");
  elIcon.classList.toggle("cm-selected", st.selected.has(id));
  elIcon.classList.toggle("cm-pending", d.pending);
  elIcon.classList.toggle("cm-new-group", d.pending && d.group === NEW_GROUP);
  elIcon.classList.toggle("cm-hl", !!hl && String(c.group) === hl);
  elIcon.classList.toggle("cm-dim", !!hl && String(c.group) !== hl);
  elIcon.setAttribute("data-centre-id", id);
  elIcon.setAttribute("data-group", String(c.group));
  elIcon.setAttribute("data-label", String(c.label ?? ""));
  elIcon.setAttribute("data-status", d.status);
  elIcon.setAttribute("data-colour", colour.toLowerCase());
  elIcon.setAttribute("data-selected", st.selected.has(id) ? "1" : "0");
  if (d.pending) elIcon.setAttribute("data-pending-group", d.group);
  else elIcon.removeAttribute("data-pending-group");
  // "<name>, group <label>, <status>[, selected][, move pending to ...]": the name, group and state a
  // sighted user reads from the pin's colour, label and shape.
  const parts = [String(c.name ?? id), `group ${c.label ?? c.group ?? ""}`, d.status];
  if (st.selected.has(id)) parts.push("selected");
  if (d.pending) parts.push(d.group === NEW_GROUP ? "moving to a new group" : `moving to group ${d.label}`);
  if (open && c.flag) parts.push("breaks a rule");
  if (c.illustrative) parts.push("illustrative location");
  elIcon.setAttribute("aria-label", parts.join(", "));
}

function paintAll(st) {
  for (const id of st.markers.keys()) paintMarker(st, id);
}

/** Drop optimistic recolours the server has confirmed (or never will). */
function reconcilePending(st) {
  if (!st.pending.size) return;
  const now = performance.now();
  let confirmed = false;
  for (const [id, p] of st.pending) {
    const c = st.centres.get(id);
    p.renders += 1;
    const group = c ? String(c.group) : null;
    const done = !c || (p.target === NEW_GROUP ? group !== p.from : group === p.target);
    if (done) {
      st.pending.delete(id);
      confirmed = true;
      if (p.t0 === st.lastDropT0) {
        st.mapEl.dataset.lastConfirmMs = String(round1(now));
        st.mapEl.dataset.lastRoundTripMs = String(round1(now - p.t0));
      }
    } else if (now - p.t0 > PENDING_TIMEOUT_MS) {
      st.pending.delete(id);
    }
  }
  if (confirmed) st.mapEl.dataset.pending = String(st.pending.size);
}

// ---------------------------------------------------------------------------
// Headline figures painted at the drop (Python's answer then replaces them)
// ---------------------------------------------------------------------------

const FIGURE_METRICS = '.st-key-headline_figures [data-testid="stMetric"]';

/** Lots once the pending moves land: the groups with an open centre (as Python counts them). */
function lotsAfterPending(st) {
  const groups = new Set();
  for (const [id, c] of st.centres) {
    if ((c.status || "open") !== "open") continue;
    const p = st.pending.get(id);
    if (!p) groups.add(`g:${c.group}`);
    else groups.add(p.target === NEW_GROUP ? `new:${p.t0}` : `g:${p.target}`); // each drop on the map: its own group
  }
  return groups.size;
}

/** The text node holding an element's words (st.metric draws them as markdown: `<p>words</p>`). */
function wordsOf(elm) {
  if (!elm) return null;
  const walk = document.createTreeWalker(elm, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.nodeValue.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP),
  });
  return walk.nextNode();
}

/** Write the figures for `lots` (`live_figures.by_lots`) into the headline metrics; nothing when that
 * count is not in the table. Only text nodes' values change (React keeps its nodes and overwrites them
 * with Python's answer); a change is written only where one is shown with the same sign. */
function writeFigures(st, lots, optimistic) {
  const live = st.data && st.data.live_figures;
  const rows = live && live.by_lots[String(lots)];
  if (!rows) return;
  const slot = new Map(); // any label a live figure can have -> its place in a row
  for (const r of Object.values(live.by_lots)) r.forEach((row, i) => slot.set(row[0], i));
  for (const metric of document.querySelectorAll(FIGURE_METRICS)) {
    const label = wordsOf(metric.querySelector('[data-testid="stMetricLabel"]'));
    const i = label ? slot.get(label.nodeValue.trim()) : undefined;
    if (i === undefined) continue;
    const [newLabel, value, change] = rows[i];
    const valueNode = wordsOf(metric.querySelector('[data-testid="stMetricValue"]'));
    const changeNode = wordsOf(metric.querySelector('[data-testid="stMetricDelta"]'));
    if (label.nodeValue !== newLabel) label.nodeValue = newLabel;
    if (valueNode && valueNode.nodeValue !== value) valueNode.nodeValue = value;
    if (changeNode && change && changeNode.nodeValue.trim()[0] === change[0]) changeNode.nodeValue = change;
    if (optimistic) metric.setAttribute("data-figures-pending", "1");
    else metric.removeAttribute("data-figures-pending");
  }
}

/** The figures as they stand: predicted while moves are pending, else Python's as of the data just
 * received. Written even where nothing was predicted: after a fall-back (a move unconfirmed for
 * PENDING_TIMEOUT_MS) React may already hold the newer figures and would not write them again. */
function syncFigures(st) {
  if (!st.data || !st.data.live_figures) return;
  if (st.pending.size) writeFigures(st, lotsAfterPending(st), true);
  else writeFigures(st, st.data.live_figures.now, false);
}

function applyView(st, data) {
  const { L } = st;
  const fb = Array.isArray(data.fit_bounds) && data.fit_bounds.length === 2 ? data.fit_bounds : null;
  const key = fb ? JSON.stringify(fb) : null;
  if (key !== null && key !== st.fitKey) {
    st.fitKey = key;
    st.fitData = L.latLngBounds(fb);
    fitTo(st, widenToAreas(st, st.fitData));
    st.initialViewDone = true;
    return;
  }
  st.fitKey = key;
  if (key === null) st.fitData = null;
  if (!st.initialViewDone) {
    const pts = [...st.centres.values()].filter((c) => Number.isFinite(c.lat) && Number.isFinite(c.lon));
    if (pts.length) {
      fitTo(st, L.latLngBounds(pts.map((c) => [c.lat, c.lon])));
      st.initialViewDone = true;
    }
  }
}

function boundsArea(b) {
  return Math.max(0, b.getEast() - b.getWest()) * Math.max(0, b.getNorth() - b.getSouth());
}

/**
 * `fit_bounds` that frame (most of) the whole map, e.g. the areas' centroids, are widened to the
 * area polygons' extent, so the county's edge polygons are not cut off. Smaller bounds (a focus on
 * one group or breach) are kept as they are.
 */
function widenToAreas(st, bounds) {
  const ab = st.areaBounds;
  if (!ab || !ab.isValid() || !bounds || !bounds.isValid()) return bounds;
  if (!ab.pad(0.05).contains(bounds) || boundsArea(bounds) < 0.6 * boundsArea(ab)) return bounds;
  return st.L.latLngBounds(ab.getSouthWest(), ab.getNorthEast()).extend(bounds);
}

/** Room the legend (open or collapsed) takes at the map's bottom-right corner, in px from each edge. */
function legendRoom(st) {
  const box = st.legendControl && st.legendControl.getContainer();
  if (!box || !box.offsetWidth || box.style.display === "none") return null;
  const m = st.mapEl.getBoundingClientRect();
  const r = box.getBoundingClientRect();
  return { right: Math.max(0, m.right - r.left), bottom: Math.max(0, m.bottom - r.top) };
}

/** Would the bounds, fitted and centred with `padding` (total px), reach under the legend's corner? */
function legendOverlapsFit(map, bounds, padding, room) {
  const size = map.getSize();
  const zoom = map.getBoundsZoom(bounds, false, padding);
  const sw = map.project(bounds.getSouthWest(), zoom);
  const ne = map.project(bounds.getNorthEast(), zoom);
  const w = Math.abs(ne.x - sw.x);
  const h = Math.abs(sw.y - ne.y);
  const right = (size.x + w) / 2;
  const bottom = (size.y + h) / 2;
  return right > size.x - room.right && bottom > size.y - room.bottom;
}

function fitTo(st, bounds) {
  if (!bounds || !bounds.isValid()) return;
  const { L, map } = st;
  const size = map.getSize();
  if (!size.x || !size.y) {
    // Not laid out yet (e.g. inside a hidden tab): fit when it gets a size.
    st.deferredFit = bounds;
    return;
  }
  st.deferredFit = null;
  st.lastFit = bounds;
  const tl = L.point(FIT_PAD_PX, FIT_PAD_PX);
  // Keep the bottom-right legend off the fitted bounds: pad the right side by its width or the
  // bottom by its height, whichever leaves the bigger map (usually the side with room to spare).
  let br = L.point(FIT_PAD_PX, FIT_PAD_PX);
  const room = legendRoom(st);
  const snap = map.options.zoomSnap;
  map.options.zoomSnap = 0; // fit exactly: a quarter-zoom snap can waste a fifth of the width
  try {
    if (room && legendOverlapsFit(map, bounds, tl.add(br), room)) {
      const right = L.point(Math.max(FIT_PAD_PX, room.right + 8), FIT_PAD_PX);
      const bottom = L.point(FIT_PAD_PX, Math.max(FIT_PAD_PX, room.bottom + 8));
      const zRight = map.getBoundsZoom(bounds, false, tl.add(right));
      const zBottom = map.getBoundsZoom(bounds, false, tl.add(bottom));
      br = zBottom >= zRight ? bottom : right;
    }
    st.fitting = true;
    map.fitBounds(bounds, { paddingTopLeft: tl, paddingBottomRight: br, animate: false, maxZoom: 14 });
  } finally {
    map.options.zoomSnap = snap;
    st.fitting = false;
  }
  st.mapEl.dataset.fitZoom = String(round2(map.getZoom()));
}

// ---------------------------------------------------------------------------
// Labels: where markers crowd, lower-priority labels give way (the marker stays, as a dot)
// ---------------------------------------------------------------------------

/**
 * After every render and zoom: measure the label boxes (marker pins with their group label, group
 * badges and, from NAME_ZOOM, centre names) in screen space and show them in priority order, each
 * only if it does not touch one already shown. A marker whose label gives way becomes a dot of its
 * colour (still draggable, still a drop target, its label back on hover/focus and in its tooltip); a
 * badge that gives way is hidden (still a drop target, shown again while dragging).
 *
 * Priority: selected, pending and highlighted first; then group badges (bigger groups first); then
 * markers of groups without a badge (their marker is the group's only label); then members of
 * badged groups; closed/merged last. Ties: larger reach, then id.
 */
function declutter(st) {
  const { map } = st;
  if (!map || st.drag) return;
  const zoom = map.getZoom();
  const withNames = zoom >= NAME_ZOOM - 1e-6;
  const hl = st.data && st.data.highlight_group;
  const members = new Map();
  for (const c of st.centres.values()) {
    if ((c.status || "open") === "open") members.set(String(c.group), (members.get(String(c.group)) || 0) + 1);
  }
  const items = [];
  for (const [id, entry] of st.markers) {
    const icon = entry.marker.getElement();
    const c = st.centres.get(id);
    if (!icon || !c) continue;
    const d = displayOf(st, id);
    const group = String(c.group);
    let tier = 2;
    if (st.selected.has(id) || d.pending || (hl && group === hl)) tier = 0;
    else if (d.status !== "open") tier = 4;
    else if (st.badges.has(group)) tier = 3;
    items.push({ kind: "pin", id, entry, icon, tier, weight: Number(c.reach) || 0, key: id });
  }
  for (const [label, badge] of st.badges) {
    items.push({ kind: "badge", badge, tier: hl && label === hl ? 0 : 1, weight: members.get(label) || 0, key: label });
  }
  items.sort((a, b) => a.tier - b.tier || b.weight - a.weight || naturalCompare(a.key, b.key));

  // Show everything, then measure (one layout), then decide and write.
  for (const it of items) {
    if (it.kind === "pin") {
      it.icon.classList.remove("cm-dot");
      it.icon.classList.toggle("cm-named", withNames && !!it.entry.name.textContent);
    } else {
      it.badge.classList.remove("cm-label-off");
    }
  }
  for (const it of items) {
    const r = (it.kind === "pin" ? it.entry.pin : it.badge).getBoundingClientRect();
    it.box = { left: r.left, top: r.top, right: r.right, bottom: r.bottom, w: r.width };
    if (it.kind === "pin" && it.icon.classList.contains("cm-flagged")) {
      it.box.top -= FLAG_REACH_Y_PX;
      it.box.right += FLAG_REACH_X_PX;
    }
    if (it.kind === "pin" && withNames && it.entry.name.textContent) {
      const n = it.entry.name.getBoundingClientRect();
      it.nameBox = { left: n.left, top: n.top, right: n.right, bottom: n.bottom, w: n.width };
    }
  }
  const placed = [];
  const g = LABEL_GAP_PX;
  const hits = (b, owner) => placed.some((p) => p.owner !== owner && b.left < p.right + g
    && p.left < b.right + g && b.top < p.bottom + g && p.top < b.bottom + g);
  for (const it of items) {
    it.box.owner = it;
    it.show = !it.box.w || !hits(it.box, it);
    if (it.show && it.box.w) placed.push(it.box);
  }
  for (const it of items) {
    it.showName = false;
    if (it.show && it.nameBox && it.nameBox.w && !hits(it.nameBox, it)) { // a name sits under its own pin
      it.showName = true;
      it.nameBox.owner = it;
      placed.push(it.nameBox);
    }
  }
  let hidden = 0;
  let names = 0;
  for (const it of items) {
    if (!it.show) hidden += 1;
    if (it.kind === "pin") {
      it.icon.classList.toggle("cm-dot", !it.show);
      it.icon.classList.toggle("cm-named", it.showName);
      it.icon.setAttribute("data-label-shown", it.show ? "1" : "0");
      it.icon.setAttribute("data-name-shown", it.showName ? "1" : "0");
      if (it.showName) names += 1;
      if (it.entry.shown !== it.show) {
        it.entry.shown = it.show;
        it.entry.marker.setZIndexOffset(it.show ? LABEL_Z : 0);
      }
    } else {
      it.badge.classList.toggle("cm-label-off", !it.show);
      it.badge.setAttribute("data-label-shown", it.show ? "1" : "0");
    }
  }
  st.declutterCount += 1;
  const ds = st.mapEl.dataset;
  ds.declutterCount = String(st.declutterCount);
  ds.declutterZoom = String(round2(zoom));
  ds.labelsHidden = String(hidden);
  ds.namesShown = String(names);
}

// ---------------------------------------------------------------------------
// Area polygons: fetched once per URL, restyled in place afterwards
// ---------------------------------------------------------------------------

function areaIdOf(feature) {
  const p = feature.properties || {};
  return String(p.lsoa11cd ?? p.area_id ?? p.lsoa21cd ?? feature.id ?? "");
}

function areaStyle(style, id) {
  const fill = style[id];
  return {
    color: "#ffffff",
    weight: 0.8,
    opacity: 0.9,
    fillColor: safeColour(fill, AREA_DEFAULT_FILL),
    fillOpacity: fill ? 0.62 : 0.35,
  };
}

function loadBoundaries(st, url) {
  const { L } = st;
  st.boundariesUrl = url;
  if (st.areaLayer) {
    st.map.removeLayer(st.areaLayer);
    st.areaLayer = null;
    st.areaById = new Map();
  }
  st.areaBounds = null;
  st.areaKey = null;
  st.boundariesError = null;
  delete st.mapEl.dataset.boundariesError;
  if (!url) {
    st.boundariesLoading = null;
    return;
  }
  st.mapEl.dataset.ready = "0";
  st.boundaryFetches += 1;
  st.mapEl.dataset.boundaryFetches = String(st.boundaryFetches);
  const job = (async () => {
    const res = await fetch(new URL(url, location.origin).href);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  })();
  st.boundariesLoading = job;
  job
    .then((geojson) => {
      if (st.boundariesUrl !== url || !st.map) return;
      const style = (st.data && st.data.area_style) || {};
      st.areaLayer = L.geoJSON(geojson, {
        pane: "cm-areas",
        renderer: st.areaRenderer,
        interactive: false,
        style: (f) => areaStyle(style, areaIdOf(f)),
        onEachFeature: (f, layer) => st.areaById.set(areaIdOf(f), layer),
      }).addTo(st.map);
      st.areaKey = JSON.stringify(style);
      st.areaBounds = st.areaLayer.getBounds();
      if (!st.initialViewDone && !st.userMovedMap) {
        fitTo(st, st.areaBounds);
        st.initialViewDone = true;
      } else if (!st.userMovedMap && st.fitData) {
        const wide = widenToAreas(st, st.fitData);
        if (wide !== st.fitData) fitTo(st, wide);
      }
      declutter(st);
      st.mapEl.dataset.areas = String(st.areaById.size);
      showMessage(st, "");
    })
    .catch((err) => {
      if (st.boundariesUrl !== url) return;
      st.boundariesError = String(err && err.message ? err.message : err);
      st.mapEl.dataset.boundariesError = st.boundariesError;
      showMessage(st, "Area boundaries could not be loaded; centres are still shown.");
    })
    .finally(() => {
      if (st.boundariesLoading === job) {
        st.boundariesLoading = null;
        if (st.map) st.mapEl.dataset.ready = st.boundariesError ? "error" : "1";
      }
    });
}

function restyleAreas(st, style) {
  const key = JSON.stringify(style);
  if (key === st.areaKey) return;
  st.areaKey = key;
  for (const [id, layer] of st.areaById) {
    const s = areaStyle(style, id);
    layer.setStyle({ fillColor: s.fillColor, fillOpacity: s.fillOpacity });
  }
}

// ---------------------------------------------------------------------------
// Selection: shift+drag box, shift+click toggle, click on empty map / Esc clears
// ---------------------------------------------------------------------------

function setSelection(st, ids, notify) {
  const next = new Set([...ids].filter((id) => st.centres.has(id)));
  const same = next.size === st.selected.size && [...next].every((id) => st.selected.has(id));
  st.selected = next;
  paintAll(st);
  declutter(st);
  st.mapEl.dataset.selected = [...next].sort(naturalCompare).join(",");
  if (notify && !same) {
    sendEvent(st, "select", { centre_ids: [...next].sort(naturalCompare) });
    announce(st, next.size ? `${next.size} centre${next.size === 1 ? "" : "s"} selected` : "Selection cleared");
  }
}

function installBoxSelect(st) {
  const { root, mapEl } = st;
  const onDown = (e) => {
    if (!e.shiftKey || e.button !== 0 || !st.map || readOnly(st)) return;
    const t = e.target;
    if (t && t.closest && t.closest(".leaflet-marker-icon, .leaflet-control, .leaflet-popup")) return;
    if (!mapEl.contains(t)) return;
    e.preventDefault();
    e.stopPropagation(); // keep Leaflet from seeing this mousedown
    const rect = mapEl.getBoundingClientRect();
    const start = { x: e.clientX - rect.left, y: e.clientY - rect.top };
    const boxEl = el("div", "cm-box");
    mapEl.appendChild(boxEl);
    st.box = { start, end: start, rect, boxEl };
    drawBox(st);
    window.addEventListener("mousemove", onMove, true);
    window.addEventListener("mouseup", onUp, true);
  };
  const onMove = (e) => {
    if (!st.box) return;
    st.box.end = { x: e.clientX - st.box.rect.left, y: e.clientY - st.box.rect.top };
    drawBox(st);
  };
  const onUp = (e) => {
    window.removeEventListener("mousemove", onMove, true);
    window.removeEventListener("mouseup", onUp, true);
    if (!st.box) return;
    onMove(e);
    const { start, end, boxEl } = st.box;
    boxEl.remove();
    st.box = null;
    st.suppressClickUntil = performance.now() + 400;
    const x0 = Math.min(start.x, end.x);
    const x1 = Math.max(start.x, end.x);
    const y0 = Math.min(start.y, end.y);
    const y1 = Math.max(start.y, end.y);
    if (x1 - x0 < 4 && y1 - y0 < 4) return; // a shift-click, not a box
    const hits = new Set();
    for (const [id, entry] of st.markers) {
      const p = st.map.latLngToContainerPoint(entry.marker.getLatLng());
      if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) hits.add(id);
    }
    setSelection(st, hits, true);
  };
  root.addEventListener("mousedown", onDown, true);
  st.cleanups.push(() => {
    root.removeEventListener("mousedown", onDown, true);
    window.removeEventListener("mousemove", onMove, true);
    window.removeEventListener("mouseup", onUp, true);
  });
}

function drawBox(st) {
  const { start, end, boxEl } = st.box;
  boxEl.style.left = `${Math.min(start.x, end.x)}px`;
  boxEl.style.top = `${Math.min(start.y, end.y)}px`;
  boxEl.style.width = `${Math.abs(end.x - start.x)}px`;
  boxEl.style.height = `${Math.abs(end.y - start.y)}px`;
}

function onMarkerKey(st, id, e) {
  const oe = e && e.originalEvent;
  if (!oe || oe.altKey || oe.ctrlKey || oe.metaKey) return;
  if (oe.key !== "Enter" && oe.key !== " " && oe.key !== "Spacebar") return;
  oe.preventDefault(); // Space would scroll the page (and no keypress follows a cancelled keydown)
  if (oe.repeat) return;
  st.keyPopup = true;
  try {
    onMarkerClick(st, id, e);
  } finally {
    st.keyPopup = false;
  }
}

function onMarkerClick(st, id, e) {
  const oe = e && e.originalEvent;
  if (oe && oe.shiftKey) {
    const next = new Set(st.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelection(st, next, true);
    return;
  }
  openCentrePopup(st, id);
}

// ---------------------------------------------------------------------------
// Drag and drop: drop on a centre or a group badge -> that group; elsewhere -> new
// ---------------------------------------------------------------------------

function containerPointOf(st, id) {
  const entry = st.markers.get(id);
  return entry ? st.map.latLngToContainerPoint(entry.marker.getLatLng()) : null;
}

function onDragStart(st, id) {
  const { map } = st;
  map.closePopup();
  const ids = st.selected.has(id) && st.selected.size > 1 ? [...st.selected] : [id];
  const moving = ids.filter((i) => st.markers.has(i) && (st.centres.get(i).status || "open") === "open");
  if (!moving.includes(id)) moving.push(id);
  const home = new Map(moving.map((i) => [i, st.markers.get(i).marker.getLatLng()]));
  const startPts = new Map(moving.map((i) => [i, map.latLngToContainerPoint(home.get(i))]));
  const hint = el("div", "cm-drag-hint");
  st.mapEl.appendChild(hint);
  st.drag = { id, ids: moving, home, startPts, target: null, targetEl: null, hint };
  for (const i of moving) {
    const icon = st.markers.get(i).marker.getElement();
    if (icon) icon.classList.add("cm-dragging");
    st.markers.get(i).marker.setZIndexOffset(10000);
  }
  st.markers.get(id).marker.closeTooltip();
  st.mapEl.classList.add("cm-drag-active");
}

function findDropTarget(st, point) {
  const drag = st.drag;
  const size = st.map.getSize();
  if (point.x < 0 || point.y < 0 || point.x > size.x || point.y > size.y) return { kind: "outside" };
  const moved = point.distanceTo(drag.startPts.get(drag.id));
  if (moved < CANCEL_RADIUS_PX) return { kind: "cancel" };
  let best = null;
  for (const [id, c] of st.centres) {
    if (drag.ids.includes(id) || (c.status || "open") !== "open") continue;
    const p = containerPointOf(st, id);
    if (!p) continue;
    const dist = p.distanceTo(point);
    if (dist <= DROP_RADIUS_PX && (!best || dist < best.dist)) best = { dist, id };
  }
  if (best) {
    const c = st.centres.get(best.id);
    return { kind: "centre", id: best.id, group: String(c.group), el: st.markers.get(best.id).marker.getElement() };
  }
  const mapRect = st.mapEl.getBoundingClientRect();
  let bestBadge = null;
  for (const [label, badge] of st.badges) {
    const r = badge.getBoundingClientRect();
    if (!r.width) continue;
    const x = point.x + mapRect.left;
    const y = point.y + mapRect.top;
    const dx = Math.max(r.left - x, 0, x - r.right);
    const dy = Math.max(r.top - y, 0, y - r.bottom);
    const dist = Math.hypot(dx, dy);
    if (dist <= BADGE_SLACK_PX && (!bestBadge || dist < bestBadge.dist)) bestBadge = { dist, label, badge };
  }
  if (bestBadge) return { kind: "badge", group: bestBadge.label, el: bestBadge.badge };
  return { kind: "empty", group: NEW_GROUP };
}

function onDrag(st) {
  const drag = st.drag;
  if (!drag) return;
  const point = containerPointOf(st, drag.id);
  const delta = point.subtract(drag.startPts.get(drag.id));
  for (const i of drag.ids) {
    if (i === drag.id) continue;
    st.markers.get(i).marker.setLatLng(st.map.containerPointToLatLng(drag.startPts.get(i).add(delta)));
  }
  const target = findDropTarget(st, point);
  if (drag.targetEl && drag.targetEl !== target.el) drag.targetEl.classList.remove("cm-drop-target");
  if (target.el) target.el.classList.add("cm-drop-target");
  drag.targetEl = target.el || null;
  drag.target = target;
  let text = "";
  if (target.kind === "centre" || target.kind === "badge") text = `→ ${target.group}`;
  else if (target.kind === "empty") text = "→ new group";
  else text = "release to cancel";
  if (drag.ids.length > 1) text = `${drag.ids.length} centres ${text}`;
  drag.hint.textContent = text;
  drag.hint.style.left = `${point.x + 24}px`;
  drag.hint.style.top = `${point.y + 16}px`;
}

function onDragEnd(st) {
  const drag = st.drag;
  if (!drag) return;
  const t0 = performance.now();
  // The click that follows this mouseup lands on the map (the marker has moved away
  // from under the pointer): it must not clear the selection.
  st.suppressClickUntil = t0 + 400;
  const point = containerPointOf(st, drag.id);
  const target = findDropTarget(st, point);
  st.drag = null;
  drag.hint.remove();
  if (drag.targetEl) drag.targetEl.classList.remove("cm-drop-target");
  // Centres never change location: snap every dragged marker back home.
  st.mapEl.classList.remove("cm-drag-active");
  for (const i of drag.ids) {
    const entry = st.markers.get(i);
    entry.marker.setLatLng(drag.home.get(i));
    entry.marker.setZIndexOffset(entry.shown === false ? 0 : LABEL_Z);
    const icon = entry.marker.getElement();
    if (icon) icon.classList.remove("cm-dragging");
  }
  if (target.kind === "outside" || target.kind === "cancel") {
    declutter(st);
    return;
  }
  const ids = drag.ids.filter((i) => target.group === NEW_GROUP || String(st.centres.get(i).group) !== target.group);
  if (!ids.length) {
    declutter(st);
    return;
  }

  // Tell the server first (its answer takes longest), then recolour optimistically before it answers.
  sendEvent(st, "move", { centre_ids: [...ids].sort(naturalCompare), group: target.group });
  const g = st.groups.get(target.group);
  let colour = NEW_GROUP_COLOUR;
  let label = "+";
  if (target.group !== NEW_GROUP) {
    const member = [...st.centres.values()].find((c) => String(c.group) === target.group);
    colour = safeColour((g && g.colour) || (member && member.colour));
    label = String((member && member.label) || (g && g.label) || target.group);
  }
  for (const i of ids) {
    st.pending.set(i, {
      target: target.group,
      from: String(st.centres.get(i).group),
      colour,
      label,
      t0,
      renders: 0,
    });
    paintMarker(st, i);
  }
  syncFigures(st);
  const t1 = performance.now();
  st.lastDropT0 = t0;
  const ds = st.mapEl.dataset;
  ds.pending = String(st.pending.size);
  ds.lastDropMs = String(round1(t0));
  ds.lastRecolourMs = String(round1(t1));
  ds.lastRecolourDelayMs = String(round1(t1 - t0));
  declutter(st); // the moved centres now show their (pending) label first
  requestAnimationFrame(() => {
    const t2 = performance.now();
    ds.lastPaintMs = String(round1(t2));
    ds.lastPaintDelayMs = String(round1(t2 - t0));
  });
  setTimeout(() => {
    if (!st.map) return;
    reconcilePending(st);
    syncFigures(st);
    paintAll(st);
    declutter(st);
  }, PENDING_TIMEOUT_MS + 50);
  const what = ids.length === 1 ? String(st.centres.get(ids[0])?.name ?? ids[0]) : `${ids.length} centres`;
  announce(st, `${what} moved to ${target.group === NEW_GROUP ? "a new group" : `group ${label}`}`);

}

// ---------------------------------------------------------------------------
// Popup: close / reopen / merge, and a keyboard path for moving a centre
// ---------------------------------------------------------------------------

function openCentrePopup(st, id) {
  const { L, map } = st;
  const c = st.centres.get(id);
  const entry = st.markers.get(id);
  if (!c || !entry) return;
  const open = (c.status || "open") === "open";
  const box = el("div", "cm-popup-body");
  box.setAttribute("data-popup-centre", id);
  box.appendChild(el("div", "cm-popup-title", c.name));
  const meta = `Group ${c.label ?? c.group ?? "–"} · ${c.status || "open"}`;
  box.appendChild(el("div", "cm-popup-line", meta));
  box.appendChild(
    el("div", "cm-popup-line", `Reach ${fmtInt(c.reach)} · deprived share ${fmtPct(c.deprived_share)}`),
  );
  if (c.illustrative) box.appendChild(el("div", "cm-tip-warn", "illustrative location"));

  const popup = L.popup({
    className: "cm-popup",
    minWidth: 270,
    maxWidth: 360,
    autoPanPadding: [20, 20],
    offset: [0, -12], // tip at the top of the pin, not over it
  });
  const finish = () => map.closePopup(popup);

  if (readOnly(st)) {
    box.appendChild(el("div", "cm-popup-line cm-readonly", "Read-only view: moves and closures are switched off."));
  } else if (open) {
    // Move to group (keyboard-friendly alternative to dragging).
    const moveIds = st.selected.has(id) && st.selected.size > 1 ? [...st.selected] : [id];
    const row = el("div", "cm-popup-row");
    const sel = el("select", "cm-select");
    sel.setAttribute("aria-label", "Move to group");
    sel.setAttribute("data-role", "move-group");
    const labels = [...new Set([...st.centres.values()].map((x) => String(x.group)))].sort(naturalCompare);
    for (const gl of labels) {
      const o = el("option", null, `Group ${gl}`);
      o.value = gl;
      if (gl === String(c.group)) o.selected = true;
      sel.appendChild(o);
    }
    const oNew = el("option", null, "A new group");
    oNew.value = NEW_GROUP;
    sel.appendChild(oNew);
    const btnMove = el("button", "cm-btn", moveIds.length > 1 ? `Move ${moveIds.length} selected` : "Move");
    btnMove.type = "button";
    btnMove.setAttribute("data-action", "move");
    btnMove.addEventListener("click", () => {
      const group = sel.value;
      const ids = moveIds.filter((i) => group === NEW_GROUP || String(st.centres.get(i)?.group) !== group);
      finish();
      if (!ids.length) return;
      sendEvent(st, "move", { centre_ids: ids.sort(naturalCompare), group });
      const what = ids.length === 1 ? String(st.centres.get(ids[0])?.name ?? ids[0]) : `${ids.length} centres`;
      announce(st, `${what} moved to ${group === NEW_GROUP ? "a new group" : `group ${group}`}`);
    });
    row.append(el("label", "cm-popup-label", "Move to"), sel, btnMove);
    box.appendChild(row);

    // Merge into another open centre.
    const others = [...st.centres.values()]
      .filter((x) => String(x.id) !== id && (x.status || "open") === "open")
      .sort((a, b) => naturalCompare(a.name, b.name));
    const mrow = el("div", "cm-popup-row");
    const msel = el("select", "cm-select");
    msel.setAttribute("aria-label", "Merge into");
    msel.setAttribute("data-role", "merge-target");
    const ph = el("option", null, "Merge into…");
    ph.value = "";
    msel.appendChild(ph);
    for (const x of others) {
      const o = el("option", null, x.name);
      o.value = String(x.id);
      msel.appendChild(o);
    }
    const btnMerge = el("button", "cm-btn", "Merge");
    btnMerge.type = "button";
    btnMerge.disabled = true;
    btnMerge.setAttribute("data-action", "merge");
    msel.addEventListener("change", () => {
      btnMerge.disabled = !msel.value;
    });
    btnMerge.addEventListener("click", () => {
      if (!msel.value) return;
      finish();
      sendEvent(st, "action", { kind: "merge", centre_id: id, target: msel.value });
    });
    mrow.append(msel, btnMerge);
    box.appendChild(mrow);

    const btnClose = el("button", "cm-btn cm-btn-danger", "Close centre");
    btnClose.type = "button";
    btnClose.setAttribute("data-action", "close");
    btnClose.addEventListener("click", () => {
      finish();
      sendEvent(st, "action", { kind: "close", centre_id: id, target: null });
    });
    box.appendChild(btnClose);
  } else {
    const btnReopen = el("button", "cm-btn", "Reopen");
    btnReopen.type = "button";
    btnReopen.setAttribute("data-action", "reopen");
    btnReopen.addEventListener("click", () => {
      finish();
      sendEvent(st, "action", { kind: "reopen", centre_id: id, target: null });
    });
    box.appendChild(btnReopen);
  }
  L.DomEvent.disableClickPropagation(box);
  st.popup = popup;
  st.popupFor = id;
  st.popupFromKey = Boolean(st.keyPopup);
  popup.setLatLng(entry.marker.getLatLng()).setContent(box).openOn(map);
  const first = box.querySelector("select, button");
  if (first) setTimeout(() => first.focus({ preventScroll: true }), 0);
}
