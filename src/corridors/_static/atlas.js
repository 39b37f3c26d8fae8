/* corridors atlas runtime.
 *
 * Decodes the compact layer data written by corridors.maps, draws it with Leaflet and
 * adds the atlas controls (legend, search, facet filter, full screen, measuring, fit).
 * Text from data reaches the page only through textContent and DOM properties, never
 * innerHTML, so a case name like <img src=x onerror=...> shows as text. Links must be
 * http(s). No network access of its own.
 */
(function () {
  "use strict";
  if (window.corridorsAtlas) { return; }

  var A = { groups: [], measuring: false, listeners: [] };
  window.corridorsAtlas = A;

  // ------------------------------------------------------------------ helpers
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function safeUrl(u) {
    if (typeof u !== "string") { return null; }
    var p;
    try { p = new URL(u); } catch (err) { return null; }
    return (p.protocol === "http:" || p.protocol === "https:") ? p.href : null;
  }
  A.safeUrl = safeUrl;

  function list(v) {
    if (v === undefined || v === null || v === "") { return []; }
    return Array.isArray(v) ? v : [v];
  }

  // --------------------------------------------------------------- decoding
  // The integers of a packed string (maps/_encoding.py: pack_ints): five bits per
  // character, low bits first; a character below 32 ends a number; zigzag signs.
  var PACK = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", PACK_VALUE = {};
  for (var pi = 0; pi < PACK.length; pi++) { PACK_VALUE[PACK.charCodeAt(pi)] = pi; }
  function unpack(text) {
    if (typeof text !== "string") { return text; }
    var out = [], v = 0, mul = 1;
    for (var i = 0; i < text.length; i++) {
      var c = PACK_VALUE[text.charCodeAt(i)];
      if (c === undefined) { return []; }  // not ours: draw nothing rather than noise
      if (c < 32) {
        v += c * mul;
        out.push(v % 2 === 0 ? v / 2 : -(v + 1) / 2);
        v = 0; mul = 1;
      } else { v += (c - 32) * mul; mul *= 32; }
    }
    return out;
  }
  A.unpack = unpack;

  // Integers are coordinates times 10^digits, each relative to the previous vertex.
  function run(packed, st, k) {
    var flat = unpack(packed), out = new Array(flat.length / 2);
    for (var i = 0, j = 0; i < flat.length; i += 2, j++) {
      st.x += flat[i]; st.y += flat[i + 1];
      out[j] = [st.y / k, st.x / k];
    }
    return out;
  }

  function decode(groups, digits) {
    var k = Math.pow(10, digits), st = { x: 0, y: 0 }, out = { points: [], lines: [], polygons: [] };
    for (var g = 0; g < groups.length; g++) {
      var grp = groups[g], kind = grp[0];
      for (var p = 1; p < grp.length; p++) {
        if (kind === 0) {
          out.points = out.points.concat(run(grp[p], st, k));
        } else if (kind === 1) {
          out.lines.push(run(grp[p], st, k));
        } else {
          var rings = [];
          for (var r = 0; r < grp[p].length; r++) { rings.push(run(grp[p][r], st, k)); }
          out.polygons.push(rings);
        }
      }
    }
    return out;
  }
  A.decode = decode;

  // ----------------------------------------------------------------- styles
  var DARK = "#1a1a1a";
  function pathStyle(role, color, custom) {
    var s;
    switch (role) {
      case "route":
        s = { color: color, weight: 4, opacity: 0.95, fill: false, lineCap: "round" }; break;
      case "barrier":
        s = { color: color, weight: 3, opacity: 0.95, dashArray: "7 5", fillColor: color, fillOpacity: 0.12 }; break;
      case "infrastructure":
        s = { color: DARK, weight: 3, opacity: 0.95, fillColor: DARK, fillOpacity: 0.45 }; break;
      case "boundary":
        s = { color: "#444", weight: 1, opacity: 0.8, fill: false }; break;
      case "basemap":
        s = { color: "#b8b1a2", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: 1 }; break;
      case "highlight":
        s = { color: "#000", weight: 4, opacity: 1, fillColor: "#ffd92f", fillOpacity: 0.5 }; break;
      case "border":
        s = { color: "#222", weight: 2.5, opacity: 0.9, dashArray: "10 4 2 4", fill: false }; break;
      case "crossing":
        s = { color: "#d62728", weight: 6, opacity: 1, fill: false }; break;
      default:  // area and anything else
        s = { color: color, weight: 1.5, opacity: 0.9, fillColor: color, fillOpacity: 0.35 };
    }
    return custom ? L.extend(s, custom) : s;
  }

  function markerStyle(role, color, custom) {
    var s = {
      radius: 6, color: "#fff", weight: 1.5, opacity: 1,
      fillColor: role === "infrastructure" ? DARK : color, fillOpacity: 0.95
    };
    // A barrier at a point (a dam, a fence post) is a dashed ring, as barriers are dashed
    // lines in the legend, not a filled circle like a site.
    if (role === "barrier") { s = { radius: 7, color: color, weight: 3, opacity: 1, dashArray: "3 2", fillColor: "#fff", fillOpacity: 1 }; }
    if (role === "highlight") { s = { radius: 9, color: "#000", weight: 3, fillColor: "#ffd92f", fillOpacity: 1 }; }
    if (role === "crossing") { s = { radius: 7, color: "#fff", weight: 2, fillColor: "#d62728", fillOpacity: 1 }; }
    return custom ? L.extend(s, custom) : s;
  }

  // ----------------------------------------------------------------- content
  function row(dl, label, value) {
    var items = list(value).filter(function (v) { return v !== null && v !== ""; });
    if (!items.length) { return; }
    dl.appendChild(el("dt", null, label));
    dl.appendChild(el("dd", null, items.join("; ")));
  }

  function species(dd, sp) {
    list(sp).forEach(function (s, i) {
      if (i) { dd.appendChild(document.createTextNode("; ")); }
      if (s && typeof s === "object") {
        var common = s.common || "", sci = s.scientific || "";
        if (common) { dd.appendChild(document.createTextNode(common + (sci ? " " : ""))); }
        if (sci) {
          if (common) { dd.appendChild(document.createTextNode("(")); }
          dd.appendChild(el("i", null, sci));
          if (common) { dd.appendChild(document.createTextNode(")")); }
        }
      } else {
        dd.appendChild(document.createTextNode(String(s)));
      }
    });
  }

  // A case's details, for the side panel: every field the catalogue has. The source
  // link is labelled with the case's own title and the document's host; the document
  // it comes from is named beside it.
  function caseContent(data, item) {
    var rec = data.records[item.rec], ex = item.extra || {};
    var box = el("div", "ca-case");
    box.appendChild(el("h2", "ca-title", rec.name || "(unnamed case)"));
    if (ex.f || ex.r) {
      box.appendChild(el("p", "ca-feature", [ex.f, ex.r].filter(Boolean).join(" \u2014 ")));
    }
    var dl = el("dl");
    if (list(rec.species).length) {
      dl.appendChild(el("dt", null, "Species"));
      var dd = el("dd"); species(dd, rec.species); dl.appendChild(dd);
    }
    row(dl, "Countries", list(rec.countries).map(countryLabel));
    row(dl, "Realm", rec.realm);
    row(dl, "Taxon", rec.taxon);
    row(dl, "Scale", rec.scale);
    row(dl, "Interventions", rec.interventions);
    row(dl, "Threats", rec.threats);
    row(dl, "Organisations", rec.organisations);
    row(dl, "Region", rec.region);
    var u = (ex.u !== undefined && ex.u !== null) ? ex.u : rec.uncertainty;
    if (u !== undefined && u !== null) { row(dl, "Location uncertainty", "\u00b1 " + u + " km"); }
    if (ex.m) { row(dl, "Georeferenced", (A.georef && A.georef[ex.m]) ? A.georef[ex.m] + " (" + ex.m + ")" : ex.m); }
    if (ex.n) { row(dl, "Georeferencing note", ex.n); }
    if (item.why) { row(dl, "Query", item.why); }
    box.appendChild(dl);
    if (rec.summary) { box.appendChild(el("p", "ca-summary", rec.summary)); }
    var href = safeUrl(rec.url), p = el("p", "ca-source");
    if (href) {
      var a = el("a", null, (rec.name || "Case page") + " (" + new URL(href).host + ")");
      a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
      p.appendChild(document.createTextNode("Case page: "));
      p.appendChild(a);
      box.appendChild(p);
      if (rec.source) { box.appendChild(el("p", "ca-source", "From: " + rec.source)); }
    } else if (rec.source) {
      p.textContent = "Source: " + rec.source + " (no web address recorded for this case)";
      box.appendChild(p);
    }
    if (rec.id) {
      // A link that opens this page on this case (the id is percent-encoded text).
      var share = el("p", "ca-share");
      var link = el("a", null, "Link to this case");
      link.href = "#case=" + encodeURIComponent(rec.id);
      share.appendChild(link);
      box.appendChild(share);
    }
    return box;
  }

  // A country code with its name when the page knows it: "Kenya (KEN)".
  function countryLabel(code) {
    var name = A.countryNames && Object.prototype.hasOwnProperty.call(A.countryNames, code) ? A.countryNames[code] : null;
    return name ? name + " (" + code + ")" : String(code);
  }

  function genericContent(data, item) {
    var rec = data.records[item.rec], box = el("div", "ca-popup"), dl = el("dl");
    for (var i = 0; i < data.fields.length; i++) {
      if (rec[i] === null || rec[i] === undefined) { continue; }
      var href = data.links && data.links[i] ? safeUrl(rec[i]) : null;
      dl.appendChild(el("dt", null, data.fields[i]));
      var dd = el("dd");
      if (href) {
        var a = el("a", null, rec[i]); a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
        dd.appendChild(a);
      } else { dd.textContent = String(rec[i]); }
      dl.appendChild(dd);
    }
    box.appendChild(dl);
    return box;
  }

  function label(data, item) {
    var rec = data.records[item.rec];
    if (data.kind === "case") { return rec.name || ""; }
    return data.tooltip >= 0 && rec[data.tooltip] !== null ? String(rec[data.tooltip]) : "";
  }

  // One popup per map, reused, so a second open replaces the first.
  function showPopup(map, latlng, content) {
    if (!map._caPopup) { map._caPopup = L.popup({ maxWidth: 300, autoPanPadding: [24, 24] }); }
    map._caPopup.setLatLng(latlng).setContent(content);
    if (!map.hasLayer(map._caPopup)) { map._caPopup.openOn(map); } else { map._caPopup.update(); }
  }

  // ------------------------------------------------------------ case geometry
  // A shape narrower and shorter than this many screen pixels is drawn as a marker at
  // its representative point instead: at 8 px a polygon is still a visible blob but too
  // small to aim at, and a marker is 12 px across.
  var SMALL_PX = 8;
  // How far from a line, a marker or an outline a click still reaches it (screen
  // pixels): about half a fingertip on touch screens, a comfortable aim with a mouse.
  var HIT_PX = 6, HIT_PX_TOUCH = 14;
  // Radius of the marker of a case too small to see (px).
  var MARKER_RADIUS = 6;
  // From this zoom on, markers are no longer clustered. A marker there stands for a
  // case under 8 px at 150 m a pixel (about a kilometre); markers that close still
  // answer a click with the chooser listing both. Leaflet.markercluster builds one grid
  // per zoom it clusters at, for every marker: stopping at 10 instead of the tiles' 18
  // or 19 halves the work of adding thousands of markers. A layer whose cases are all
  // shapes from an earlier zoom stops clustering there (shapesFrom).
  var CLUSTER_MAX_ZOOM = 10;
  // Fill shades that tell the cases of one layer apart: the layer's colour mixed with
  // white (positive) or black (negative); the outline keeps the layer's own colour.
  var SHADES = [0, 0.35, -0.3, 0.6, -0.5, 0.2, -0.15, 0.5];

  function shade(hex, t) {
    var m = /^#([0-9a-f]{6})$/i.exec(String(hex));
    if (!m || !t) { return hex; }
    var n = parseInt(m[1], 16), out = "#";
    [16, 8, 0].forEach(function (sh) {
      var c = (n >> sh) & 255, v = t > 0 ? c + (255 - c) * t : c * (1 + t);
      out += ("0" + Math.round(v).toString(16)).slice(-2);
    });
    return out;
  }

  // What a feature's geometry needs before it is drawn, read straight from its packed
  // runs (the same walk as decode, without building [lat, lon] pairs): its bounds, how
  // many points, lines and polygons it has, and its area in km^2 (rings in lon/lat,
  // scaled by the cosine of their first latitude), only to draw large shapes under
  // small ones.
  function measure(groups, digits) {
    var k = Math.pow(10, digits), x = 0, y = 0, s = Infinity, w = Infinity, n = -Infinity, e = -Infinity;
    var out = { points: 0, lines: 0, polygons: 0, area: 0, bounds: null }, KM2 = 111.32 * 111.32, nv = 0;
    function walk(packed, ring) {
      var flat = unpack(packed), a = 0, lat0 = 0, px = 0, py = 0, fx = 0, fy = 0;
      for (var i = 0; i < flat.length; i += 2) {
        x += flat[i]; y += flat[i + 1];
        var lon = x / k, lat = y / k;
        if (lat < s) { s = lat; } if (lat > n) { n = lat; }
        if (lon < w) { w = lon; } if (lon > e) { e = lon; }
        if (ring) {
          if (i === 0) { lat0 = lat; fx = lon; fy = lat; } else { a += px * lat - lon * py; }
          px = lon; py = lat;
        }
      }
      if (ring && flat.length) { a += px * fy - fx * py; }
      nv = flat.length / 2;
      return Math.abs(a / 2) * Math.cos(lat0 * Math.PI / 180) * KM2;
    }
    for (var g = 0; g < groups.length; g++) {
      var grp = groups[g], kind = grp[0];
      for (var p = 1; p < grp.length; p++) {
        if (kind === 0) { walk(grp[p], false); out.points += nv; }
        else if (kind === 1) { out.lines++; walk(grp[p], false); }
        else {
          out.polygons++;
          for (var r = 0; r < grp[p].length; r++) { out.area += (r ? -1 : 1) * walk(grp[p][r], true); }
        }
      }
    }
    out.area = Math.max(out.area, 0);
    if (s <= n) { out.bounds = L.latLngBounds([s, w], [n, e]); }
    return out;
  }

  function caseKey(data, item) {
    var rec = data.records[item.rec] || {};
    return data.kind === "case" ? String(rec.id || rec.name || "") : null;
  }

  // Shapes on the map when the item passes the filters and is big enough at this zoom;
  // its marker when it passes them but is too small.
  // Markers go to their cluster group in one batch per group: added one at a time,
  // each would re-cluster the whole group (seconds for thousands of cases).
  function placeAll(items) {
    var batches = [];
    items.forEach(function (item) {
      var shapes = item.visible && !item.small, marker = item.visible && item.small;
      (shapes ? item.layers : made(item)).forEach(function (l) {
        var has = l._caParent.hasLayer(l);
        if (shapes && !has) { l._caParent.addLayer(l); } else if (!shapes && has) { l._caParent.removeLayer(l); }
      });
      if (!item.marker) { return; }
      var parent = item.group._ca.small, on = parent.hasLayer(item.marker);
      if (marker === on) { return; }
      if (!parent._caBatch) { parent._caBatch = { add: [], remove: [] }; batches.push(parent); }
      parent._caBatch[marker ? "add" : "remove"].push(item.marker);
    });
    batches.forEach(function (parent) {
      var b = parent._caBatch;
      parent._caBatch = null;
      if (b.remove.length) { if (parent.removeLayers) { parent.removeLayers(b.remove); } else { b.remove.forEach(function (m) { parent.removeLayer(m); }); } }
      if (b.add.length) { if (parent.addLayers) { parent.addLayers(b.add); } else { b.add.forEach(function (m) { parent.addLayer(m); }); } }
    });
  }
  function place(item) { placeAll([item]); }
  A.place = place;

  // An item's Leaflet layers, made on first use of item.layers: a case that opens as
  // its marker never pays for shapes nobody has seen yet (at 10,000 small cases, most
  // of the page's build time and memory). made(item) lists only those already made,
  // for the code that looks at what is on the map.
  function lazyLayers(item, make) {
    var layers = null;
    Object.defineProperty(item, "layers", {
      enumerable: true,
      get: function () { if (!layers) { layers = make(); } return layers; }
    });
    item._caMade = function () { return layers || []; };
  }
  function made(item) { return item._caMade(); }

  // Bounds of an item: kept for a case's shapes, else from its (point) layers.
  function itemBounds(item) {
    if (item.bounds) { return item.bounds; }
    var b = L.latLngBounds([]);
    item.layers.forEach(function (l) { b.extend(l.getBounds ? l.getBounds() : l.getLatLng()); });
    return b;
  }

  // ------------------------------------------------------------------- layers
  A.layer = function (data, map) {
    var group = L.featureGroup(), items = [], cluster = null;
    var color = data.color || "#0072B2";
    var custom = data.style || null;
    if (data.pane) {
      // Own panes keep the offline basemap under, and query results over, other data.
      if (map && !map.getPane(data.pane)) { map.createPane(data.pane).style.zIndex = String(data.paneZ || 400); }
      custom = L.extend({}, custom || {}, { pane: data.pane });
    }
    if (data.interactive === false) { custom = L.extend({}, custom || {}, { interactive: false }); }
    if (data.outline) {
      // Regional and range-wide outlines: a dashed edge and no fill, so they never take a
      // click from the cases drawn inside them.
      custom = L.extend({ fill: false, weight: 2, dashArray: "8 5", opacity: 0.9 }, custom || {});
    }
    if (data.sea) {
      group.on("add", function () { if (group._map) { group._map.getContainer().classList.add("ca-offline-sea"); } });
      group.on("remove", function () { if (map) { map.getContainer().classList.remove("ca-offline-sea"); } });
    }
    var sizes = data.features.map(function (f) { return measure(f[3], f[2]); });
    var nPoints = sizes.reduce(function (n, size) { return n + size.points; }, 0);
    if (data.cluster && nPoints >= data.cluster && L.markerClusterGroup) {
      cluster = L.markerClusterGroup({ showCoverageOnHover: false, chunkedLoading: true, maxClusterRadius: 40 });
      group.addLayer(cluster);
    }
    var shadeOf = {}, nShades = 0;
    data.features.forEach(function (f, fi) {
      var role = data.forceRole || data.roles[f[1]], size = sizes[fi];
      var item = { rec: f[0], role: role, extra: f[4] || null, group: group, area: size.area };
      if (f[5]) { item.why = f[5]; }
      var st = custom;
      if (data.kind === "case" && !data.outline && size.polygons) {
        var key = caseKey(data, item);
        if (!(key in shadeOf)) { shadeOf[key] = SHADES[nShades++ % SHADES.length]; }
        if (shadeOf[key]) { st = L.extend({ fillColor: shade(color, shadeOf[key]) }, custom || {}); }
      }
      item.shrinks = data.kind === "case" && (size.lines + size.polygons) > 0 && size.bounds !== null;
      if (item.shrinks) {
        item.bounds = size.bounds;
        var ex = item.extra || {};
        item.point = (ex.p && ex.p.length === 2) ? L.latLng(ex.p[1], ex.p[0]) : item.bounds.getCenter();
      }
      lazyLayers(item, function () {
        var out = [], geo = decode(f[3], f[2]);
        geo.points.forEach(function (p) {
          var m = L.circleMarker(p, markerStyle(role, color, st));
          m._caParent = cluster || group; out.push(m);
        });
        if (geo.lines.length) {
          var ln = L.polyline(geo.lines, pathStyle(role, color, st));
          ln._caParent = group; out.push(ln);
        }
        if (geo.polygons.length) {
          var pg = L.polygon(geo.polygons, pathStyle(role, color, st));
          pg._caParent = group; out.push(pg);
        }
        out.forEach(function (l) { l._caItem = item; l._caBase = { color: l.options.color, weight: l.options.weight }; });
        return out;
      });
      // Drawn as the view already shows it: a shape too small to see is never drawn
      // only to be swapped for its marker a moment later, nor even made.
      item.small = !!(item.shrinks && map && map._loaded && tooSmall(map, item, map.getZoom()));
      if (!item.small) { item.layers.forEach(function (l) { l._caParent.addLayer(l); }); }
      item.visible = true;
      items.push(item);
    });
    group._ca = { data: data, items: items, cluster: cluster };
    if (data.kind === "case" && items.some(function (it) { return it.shrinks; })) {
      // Markers of the cases too small to see; clustered where they crowd, when the
      // page has Leaflet.markercluster. A cluster counts cases, not features.
      var Dot = L.DivIcon.extend({
        createIcon: function (old) {
          var d = L.DivIcon.prototype.createIcon.call(this, old);
          d.style.background = color;  // a CSS value set as a property, never markup
          return d;
        }
      });
      var small = L.markerClusterGroup ? L.markerClusterGroup({
        showCoverageOnHover: false, zoomToBoundsOnClick: false, maxClusterRadius: 28,
        disableClusteringAtZoom: Math.min(CLUSTER_MAX_ZOOM, shapesFrom(map, items) + 1),
        iconCreateFunction: function (c) {
          c._setPos = flatPos;
          var keys = {};
          c.getAllChildMarkers().forEach(function (m) { keys[caseKey(data, m._caItem)] = true; });
          var n = Object.keys(keys).length;
          if (n === 1) {
            // Features of one case: its marker, not a count.
            return new Dot({ className: "ca-cluster-one", iconSize: L.point(2 * MARKER_RADIUS + 4, 2 * MARKER_RADIUS + 4) });
          }
          return L.divIcon({ html: "<span>" + n + "</span>", className: "ca-cluster", iconSize: L.point(30, 30) });
        }
      }) : L.featureGroup();
      if (small.on && L.markerClusterGroup) {
        small.on("clusterclick", function (e) {
          var m = group._map;
          if (!m || A.measuring) { return; }
          var hits = [];
          e.layer.getAllChildMarkers().forEach(function (mk) { hits.push([group, mk._caItem]); });
          answer(m, e.layer.getLatLng(), dedupe(hits), e.layer.getBounds());
        });
      }
      group._ca.small = small;
      var first = [];
      items.forEach(function (it) { if (it.small) { it.marker = markerOf(group, it); first.push(it.marker); } });
      if (small.addLayers) { small.addLayers(first); } else { first.forEach(function (mk) { small.addLayer(mk); }); }
      group.addLayer(small);
    }
    if (data.interactive !== false) {
      group.on("mouseover", function (e) {
        var l = e.layer, item = l && l._caItem;
        if (!item || A.measuring) { return; }
        if (!l._caTip) {
          var text = label(data, item);
          if (!text) { return; }
          // Content as a DOM node: Leaflet would put a string in as HTML.
          l.bindTooltip(function () { return el("span", null, label(data, item)); }, { sticky: true, direction: "top" });
          l._caTip = true;
          l.openTooltip(e.latlng);
        }
      });
      if (data.kind !== "case") {
        group.on("click", function (e) {
          var l = e.layer, item = l && l._caItem, m = group._map;
          if (!item || !m || A.measuring || data.popup === false) { return; }
          // This layer answers the click itself: the map's case chooser stays out.
          if (e.originalEvent) { e.originalEvent._caTaken = true; }
          showPopup(m, e.latlng, genericContent(data, item));
        });
      }
    }
    A.groups.push(group);
    return group;
  };

  // ------------------------------------------------------- size and paint order
  // Every case shape drawn above every larger one, across layers: a small reserve is
  // never hidden under a regional outline drawn after it. Redone when layers, filters
  // or the zoom change which shapes are on the map.
  function reorder(map) {
    var shapes = [];
    A.groups.forEach(function (g) {
      if (g._ca.data.kind !== "case" || !map.hasLayer(g) || g._ca.data.pane) { return; }
      g._ca.items.forEach(function (item) {
        if (!item.visible || item.small) { return; }
        made(item).forEach(function (l) { if (l._map && l.bringToFront) { shapes.push([item.area, l]); } });
      });
    });
    shapes.sort(function (a, b) { return b[0] - a[0]; });
    shapes.forEach(function (s) { s[1].bringToFront(); });
  }

  // The first zoom at which every case of ``items`` is drawn as its shapes: no marker
  // and no cluster is needed there or deeper, so the layer's clusters stop one zoom
  // later (a fractional zoom rounds either way). A shape's size on screen doubles with
  // each zoom, so the zoom where it reaches SMALL_PX follows from its size at zoom 0.
  function shapesFrom(map, items) {
    var last = 0;
    items.forEach(function (item) {
      if (!item.shrinks) { return; }
      var size = screenSize(map, item, 0);
      last = Math.max(last, size > 0 ? Math.ceil(Math.log2(SMALL_PX / size)) : Infinity);
    });
    return last;
  }

  // The larger side (px) of an item's bounds on the screen at zoom z.
  function screenSize(map, item, z) {
    var crs = (map && map.options.crs) || L.CRS.EPSG3857;
    var sw = crs.latLngToPoint(item.bounds.getSouthWest(), z), ne = crs.latLngToPoint(item.bounds.getNorthEast(), z);
    return Math.max(Math.abs(ne.x - sw.x), Math.abs(ne.y - sw.y));
  }

  function tooSmall(map, item, z) { return screenSize(map, item, z) < SMALL_PX; }

  // Cluster icons are placed with a 2D translate. Leaflet places marker icons with
  // translate3d, which gives every icon its own compositing layer: with hundreds of
  // clusters (10,000 cases at world zoom) that held back the first frame by a quarter
  // of a second in a browser drawing without a GPU. Zoom animation is unchanged: it
  // moves the icon through this same method.
  function flatPos(pos) {
    L.Marker.prototype._setPos.call(this, pos);
    if (this._icon && L.Browser.any3d) {
      this._icon.style[L.DomUtil.TRANSFORM] = "translate(" + pos.x + "px," + pos.y + "px)";
    }
  }

  function markerOf(g, item) {
    var mk = L.circleMarker(item.point, {
      radius: MARKER_RADIUS, color: "#fff", weight: 2, opacity: 1, fillColor: g._ca.data.color || "#0072B2", fillOpacity: 1
    });
    mk._caItem = item; mk._caBase = { color: mk.options.color, weight: mk.options.weight };
    mk.bindTooltip(function () { return el("span", null, label(g._ca.data, item)); }, { direction: "top" });
    return mk;
  }

  // Which case shapes are too small to see at this zoom become markers, and back.
  function resize(map) {
    var z = map.getZoom(), changed = [];
    A.groups.forEach(function (g) {
      if (!g._ca.small) { return; }
      g._ca.items.forEach(function (item) {
        if (!item.shrinks) { return; }
        var small = tooSmall(map, item, z);
        if (small && !item.marker) { item.marker = markerOf(g, item); }
        if (small !== !!item.small) { item.small = small; changed.push(item); }
      });
    });
    placeAll(changed);
    reorder(map);
  }
  A.resize = resize;

  // --------------------------------------------------------- which case is here
  // The cases under a point of the map: inside a polygon (outlines included), or within
  // a few pixels of a line, a site or a marker. Smallest first (the one a user
  // most likely aimed at), one entry per case.
  function inRings(rings, p) {
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i], b = ring[j];
        if ((a.y > p.y) !== (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) { inside = !inside; }
      }
    });
    return inside;
  }

  function nearRings(rings, p, tol, closed) {
    return rings.some(function (ring) {
      var n = ring.length;
      for (var i = closed ? 0 : 1; i < n; i++) {
        var a = ring[i === 0 ? n - 1 : i - 1], b = ring[i];
        if (L.LineUtil.pointToSegmentDistance(p, a, b) <= tol) { return true; }
      }
      return false;
    });
  }

  function layerHit(map, l, latlng, tol) {
    // Leaflet keeps each drawn shape's vertices in layer pixels (_rings, _point,
    // _radius); a click can be on another copy of the world than the shape.
    for (var k = -1; k <= 1; k++) {
      var p = map.latLngToLayerPoint(L.latLng(latlng.lat, latlng.lng + 360 * k));
      if (l instanceof L.CircleMarker) {
        if (l._point && l._point.distanceTo(p) <= (l._radius || 0) + tol) { return EDGE; }
        continue;
      }
      if (!l._rings || !l._pxBounds) { continue; }
      var pad = tol + (l.options.weight || 0) / 2;
      var bb = l._pxBounds;
      if (p.x < bb.min.x - pad || p.x > bb.max.x + pad || p.y < bb.min.y - pad || p.y > bb.max.y + pad) { continue; }
      var polygon = l instanceof L.Polygon;
      // On the stroke first: a pointer on a dashed outline aims at that outline.
      if (nearRings(l._rings, p, pad, polygon)) { return EDGE; }
      // Inside counts for outlines too: they are listed after every smaller case there.
      if (polygon && inRings(l._rings, p)) { return INSIDE; }
    }
    return 0;
  }
  var EDGE = 2, INSIDE = 1;

  function dedupe(hits) {
    var seen = {}, out = [];
    hits.sort(function (a, b) {
      return ((a[2] || 0) - (b[2] || 0)) || (a[1].area - b[1].area) || ((b[1].why ? 1 : 0) - (a[1].why ? 1 : 0));
    });
    hits.forEach(function (h) {
      var key = caseKey(h[0]._ca.data, h[1]);
      if (seen[key]) { return; }
      seen[key] = true; out.push(h);
    });
    return out;
  }

  A.casesAt = function (map, latlng, tol) {
    tol = tol === undefined ? HIT_PX : tol;
    var hits = [];
    A.groups.forEach(function (g) {
      var data = g._ca.data;
      if (data.kind !== "case" || data.popup === false || !map.hasLayer(g)) { return; }
      g._ca.items.forEach(function (item) {
        if (!item.visible) { return; }
        if (item.small) {
          // At the case's own place, even while its marker is gathered into a cluster.
          var at = map.latLngToLayerPoint(item.point);
          for (var k = -1; k <= 1; k++) {
            if (map.latLngToLayerPoint(L.latLng(latlng.lat, latlng.lng + 360 * k)).distanceTo(at) <= MARKER_RADIUS + tol) { hits.push([g, item, data.outline ? 1 : 0]); return; }
          }
          return;
        }
        var how = 0;
        made(item).forEach(function (l) { if (l._map) { how = Math.max(how, layerHit(map, l, latlng, tol)); } });
        // Regional outlines never take a click from a case drawn inside them; among
        // themselves, the one whose line is under the pointer comes first.
        if (how) { hits.push([g, item, !data.outline ? 0 : how === EDGE ? 1 : 2]); }
      });
    });
    return dedupe(hits);
  };

  // ---------------------------------------------------------- details and chooser
  // The popup is one or two lines: the case (and feature) under the pointer, or the
  // list of every case there to choose from; the details go to the side panel.
  function chooser(map, latlng, hits, zoomBounds) {
    var box = el("div", "ca-chooser");
    if (hits.length === 1 && !zoomBounds) {
      var it = hits[0][1], ex = it.extra || {};
      box.appendChild(el("strong", null, label(hits[0][0]._ca.data, it)));
      if (ex.f) { box.appendChild(el("div", "ca-feature", ex.f)); }
    } else {
      box.appendChild(el("div", "ca-chooser-title", hits.length + (hits.length === 1 ? " case here" : " cases here")));
      var ul = el("ul");
      hits.forEach(function (h, i) {
        var li = el("li"), b = el("button", "ca-choice", label(h[0]._ca.data, h[1]));
        b.type = "button";
        if (i === 0 && !zoomBounds) { b.setAttribute("aria-current", "true"); }
        b.addEventListener("click", function () {
          ul.querySelectorAll("button").forEach(function (o) { o.removeAttribute("aria-current"); });
          b.setAttribute("aria-current", "true");
          openDetails(map, h[0], h[1]);
        });
        li.appendChild(b); ul.appendChild(li);
      });
      box.appendChild(ul);
      if (zoomBounds) {
        var z = el("button", "ca-btn", "Zoom in here"); z.type = "button";
        z.addEventListener("click", function () { map.fitBounds(zoomBounds, { padding: [40, 40], maxZoom: 12 }); });
        box.appendChild(z);
      }
    }
    showPopup(map, latlng, box);
  }
  A.chooser = chooser;

  // The answer to a click on cases: the topmost one's details, and the popup naming it
  // or listing every case there. A cluster of several cases (``zoomBounds``) only
  // lists them, with "Zoom in here".
  function answer(map, latlng, hits, zoomBounds) {
    if (hits.length === 1 || !zoomBounds) {
      openDetails(map, hits[0][0], hits[0][1]);
      zoomBounds = null;
    }
    chooser(map, latlng, hits, zoomBounds);
  }

  function panel(map) {
    if (map._caPanel) { return map._caPanel; }
    var box = el("section", "ca-details");
    box.setAttribute("aria-label", "Case details");
    box.hidden = true;
    var close = el("button", "ca-btn ca-close", "\u00d7");
    close.type = "button"; close.title = "Close the details"; close.setAttribute("aria-label", "Close the details");
    var body = el("div", "ca-details-body");
    box.appendChild(close); box.appendChild(body);
    close.addEventListener("click", function () { closeDetails(map); });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    map.getContainer().appendChild(box);
    map._caPanel = { box: box, body: body };
    return map._caPanel;
  }

  function highlight(map, key, on) {
    A.groups.forEach(function (g) {
      if (g._ca.data.kind !== "case") { return; }
      g._ca.items.forEach(function (item) {
        if (caseKey(g._ca.data, item) !== key) { return; }
        item.layers.concat(item.marker ? [item.marker] : []).forEach(function (l) {
          if (l.setStyle) { l.setStyle(on ? { color: "#000", weight: l._caBase.weight + 2 } : l._caBase); }
        });
      });
    });
  }

  function openDetails(map, group, item) {
    var data = group._ca.data, P = panel(map);
    if (A.selectedKey) { highlight(map, A.selectedKey, false); }
    P.body.textContent = "";
    P.body.appendChild(data.kind === "case" ? caseContent(data, item) : genericContent(data, item));
    P.box.hidden = false;
    map.getContainer().classList.add("ca-details-open");
    A.selectedKey = caseKey(data, item);
    if (A.selectedKey) { highlight(map, A.selectedKey, true); }
    select(map, data, item);
  }
  A.openDetails = openDetails;

  function closeDetails(map) {
    var P = panel(map);
    if (A.selectedKey) { highlight(map, A.selectedKey, false); }
    A.selectedKey = null;
    P.box.hidden = true;
    map.getContainer().classList.remove("ca-details-open");
    A.selected = null;
    writeState(map);
  }
  A.closeDetails = closeDetails;

  // Room kept free round a fitted case (px): the details panel takes the right-hand
  // 340 px (320 wide, 10 from the edge, 10 between), or on a phone the bottom sheet up
  // to 45% of the height (atlas.css); 40 px elsewhere keep the shape off the controls.
  var PANEL_PX = 340, SHEET_SHARE = 0.45, FIT_PAD_PX = 40;
  function clearOfDetails(map) {
    var h = map.getSize().y;
    return narrow(map)
      ? { paddingTopLeft: [FIT_PAD_PX, FIT_PAD_PX], paddingBottomRight: [FIT_PAD_PX, Math.round(h * SHEET_SHARE) + FIT_PAD_PX / 2] }
      : { paddingTopLeft: [FIT_PAD_PX, FIT_PAD_PX], paddingBottomRight: [PANEL_PX + FIT_PAD_PX, FIT_PAD_PX] };
  }

  // Fits the view to the whole case (every feature of it the filters show), opens its
  // details and marks it.
  A.openItem = function (map, group, item) {
    var key = caseKey(group._ca.data, item), b = L.latLngBounds([]);
    if (!map.hasLayer(group)) { map.addLayer(group); }
    A.groups.forEach(function (g) {
      if (!map.hasLayer(g)) { return; }
      g._ca.items.forEach(function (it) {
        if (it !== item && (key === null || !it.visible || caseKey(g._ca.data, it) !== key)) { return; }
        b.extend(itemBounds(it));
      });
    });
    if (!b.isValid()) { return; }
    map.fitBounds(b, L.extend({ maxZoom: 9, animate: false }, clearOfDetails(map)));
    openDetails(map, group, item);
  };

  // ------------------------------------------------------------ shareable state
  // The address (its #fragment) holds the view, the open case and the filters:
  // #map=zoom/lat/lon&case=ID&realm=...; opening such an address restores them. It is
  // rewritten in place (no new history entries), and read again when a link changes it.
  function select(map, data, item) {
    var rec = data.records[item.rec] || {};
    A.selected = data.kind === "case" ? (rec.id || null) : null;
    writeState(map);
  }

  function writeState(map) {
    if (A.restoring || !map._loaded) { return; }
    var c = map.getCenter();
    var parts = ["map=" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4)];
    if (A.selected) { parts.push("case=" + encodeURIComponent(A.selected)); }
    map.getContainer().querySelectorAll("select.ca-facet").forEach(function (sel) {
      if (sel.value) { parts.push(encodeURIComponent(sel.getAttribute("data-facet")) + "=" + encodeURIComponent(sel.value)); }
    });
    var hash = "#" + parts.join("&");
    if (location.hash === hash) { return; }
    try { history.replaceState(null, "", hash); } catch (err) { /* a sandboxed frame */ }
  }
  A.writeState = writeState;

  function readState() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i <= 0) { return; }
      try { out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1)); } catch (err) { /* not ours */ }
    });
    return out;
  }

  function restoreState(map) {
    var st = readState(), view = null;
    if (st.map) {
      var v = st.map.split("/").map(Number);
      if (v.length === 3 && v.every(isFinite) && Math.abs(v[1]) <= 90 && Math.abs(v[2]) <= 540) { view = v; }
    }
    A.restoring = true;
    try {
      map.getContainer().querySelectorAll("select.ca-facet").forEach(function (sel) {
        // Only the filters the address names: the user may have chosen others already.
        var key = sel.getAttribute("data-facet");
        if (!Object.prototype.hasOwnProperty.call(st, key)) { return; }
        var want = st[key];
        var known = Array.prototype.some.call(sel.options, function (o) { return o.value === want; });
        if (known && sel.value !== want) { sel.value = want; sel.dispatchEvent(new Event("change")); }
      });
      if (st.case) {
        caseGroups().some(function (g) {
          return g._ca.items.some(function (item) {
            var rec = g._ca.data.records[item.rec] || {};
            if (rec.id !== st.case || !item.visible) { return false; }
            A.openItem(map, g, item);
            return true;
          });
        });
      }
      if (view) { map.setView([view[1], view[2]], view[0], { animate: false }); }
    } finally {
      A.restoring = false;
    }
    writeState(map);
  }
  A.restoreState = restoreState;

  // Leaflet ends a zoom animation by moving to where it was going: a view set during
  // the page's first (animated) fit would be undone, so wait for it to end.
  function whenIdle(map, fn) {
    if (map._animatingZoom) { map.once("zoomend", function () { whenIdle(map, fn); }); return; }
    fn(map);
  }

  // ----------------------------------------------------------------- controls
  function control(position, build) {
    var C = L.Control.extend({
      options: { position: position },
      onAdd: function (map) {
        var box = build(map);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new C();
  }

  function button(parent, text, title, onClick) {
    var b = el("button", "ca-btn", text);
    b.type = "button"; b.title = title; b.setAttribute("aria-label", title);
    b.addEventListener("click", function (ev) { ev.preventDefault(); onClick(b); });
    parent.appendChild(b);
    return b;
  }

  function caseGroups() {
    return A.groups.filter(function (g) { return g._ca.data.kind === "case" && !g._ca.data.noFilter; });
  }

  function legendSwatch(role, color) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "22"); svg.setAttribute("height", "14"); svg.setAttribute("aria-hidden", "true");
    var s = role === "site" ? markerStyle(role, color) : pathStyle(role, color), shape;
    if (role === "site") {
      shape = document.createElementNS(ns, "circle");
      shape.setAttribute("cx", "11"); shape.setAttribute("cy", "7"); shape.setAttribute("r", "5");
    } else if (role === "route" || role === "barrier") {
      shape = document.createElementNS(ns, "line");
      shape.setAttribute("x1", "1"); shape.setAttribute("y1", "7"); shape.setAttribute("x2", "21"); shape.setAttribute("y2", "7");
    } else {
      shape = document.createElementNS(ns, "rect");
      shape.setAttribute("x", "2"); shape.setAttribute("y", "2"); shape.setAttribute("width", "18"); shape.setAttribute("height", "10");
    }
    shape.setAttribute("stroke", s.color); shape.setAttribute("stroke-width", String(Math.min(s.weight, 3)));
    if (s.dashArray) { shape.setAttribute("stroke-dasharray", "4 3"); }
    shape.setAttribute("fill", s.fill === false ? "none" : (s.fillColor || s.color));
    shape.setAttribute("fill-opacity", String(s.fillOpacity === undefined ? 1 : s.fillOpacity));
    svg.appendChild(shape);
    return svg;
  }

  function legend(map, cfg) {
    return control("bottomright", function () {
      var box = el("div", "leaflet-bar ca-panel ca-legend");
      box.setAttribute("role", "region"); box.setAttribute("aria-label", "Legend");
      // Collapsed on a narrow screen, where it would cover the map.
      var details = el("details"); details.open = !narrow(map);
      details.appendChild(el("summary", null, cfg.title || "Legend"));
      var ul = el("ul");
      cfg.entries.forEach(function (entry) {
        var li = el("li"), b = el("button", "ca-legend-item");
        b.type = "button";
        var sw = el("span", "ca-swatch");
        if (entry.layer._ca && entry.layer._ca.data.outline) {
          sw.className = "ca-swatch ca-swatch-outline"; sw.style.borderColor = entry.color;
        } else { sw.style.background = entry.color; }
        b.appendChild(sw); b.appendChild(el("span", "ca-legend-label", entry.label));
        var count = null;
        if (entry.count !== undefined) { count = el("span", "ca-count", entry.count); b.appendChild(count); }
        var pressed = function () {
          var on = map.hasLayer(entry.layer);
          b.setAttribute("aria-pressed", on ? "true" : "false");
          b.title = (on ? "Hide " : "Show ") + entry.label;
        };
        // The cases the filters pass, of all the layer's cases: changes with the
        // filters only, so it is not recounted for each of thousands of markers added.
        var recount = function () {
          if (count && entry.layer._ca && entry.layer._ca.data.kind === "case") {
            var n = layerCounts(entry.layer);
            count.textContent = n[0] === n[1] ? String(n[1]) : n[0] + " of " + n[1];
          }
        };
        A.listeners.push(function () { pressed(); recount(); });
        b.addEventListener("click", function () {
          if (map.hasLayer(entry.layer)) { map.removeLayer(entry.layer); } else { map.addLayer(entry.layer); }
          pressed();
        });
        map.on("overlayadd overlayremove layeradd layerremove", function (e) {
          if (e.layer === entry.layer) { pressed(); }
        });
        pressed(); recount();
        li.appendChild(b); ul.appendChild(li);
      });
      details.appendChild(ul);
      if (cfg.roles && cfg.roles.length) {
        var roles = el("ul", "ca-roles");
        cfg.roles.forEach(function (role) {
          var li = el("li");
          li.appendChild(legendSwatch(role, "#777"));
          li.appendChild(el("span", null, role));
          roles.appendChild(li);
        });
        var li = el("li"), ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
        svg.setAttribute("width", "22"); svg.setAttribute("height", "14"); svg.setAttribute("aria-hidden", "true");
        var c = document.createElementNS(ns, "circle");
        c.setAttribute("cx", "11"); c.setAttribute("cy", "7"); c.setAttribute("r", "5");
        c.setAttribute("fill", "#777"); c.setAttribute("stroke", "#fff"); c.setAttribute("stroke-width", "2");
        svg.appendChild(c); li.appendChild(svg);
        li.appendChild(el("span", null, "case too small to see here"));
        roles.appendChild(li);
        details.appendChild(roles);
      }
      box.appendChild(details);
      return box;
    });
  }

  // Each facet's key and the record field it reads (a value or a list of values).
  var FACET_FIELDS = {
    realm: "realm", taxon: "taxon", country: "countries", scale: "scale",
    intervention: "interventions", threat: "threats"
  };
  function matches(rec, f) {
    return Object.keys(f).every(function (k) {
      if (!f[k] || !FACET_FIELDS[k]) { return true; }
      return list(rec[FACET_FIELDS[k]]).map(String).indexOf(f[k]) >= 0;
    });
  }

  // Shows the items the filters pass; returns [cases shown, cases in all]: shown means
  // passing the filters in a layer that is switched on.
  A.applyFilter = function (map, f) {
    var shown = {}, total = {}, changed = [];
    caseGroups().forEach(function (g) {
      var data = g._ca.data, on = map.hasLayer(g);
      g._ca.items.forEach(function (item) {
        var rec = data.records[item.rec], key = caseKey(data, item), ok = matches(rec, f);
        total[key] = true;
        if (ok && on) { shown[key] = true; }
        if (ok === item.visible) { return; }
        item.visible = ok;
        changed.push(item);
      });
    });
    placeAll(changed);
    reorder(map);
    A.listeners.forEach(function (fn) { fn(map); });
    return [Object.keys(shown).length, Object.keys(total).length];
  };

  // Cases of a layer that the filters pass, and all of them.
  function layerCounts(group) {
    var shown = {}, total = {};
    group._ca.items.forEach(function (item) {
      var key = caseKey(group._ca.data, item);
      total[key] = true;
      if (item.visible) { shown[key] = true; }
    });
    return [Object.keys(shown).length, Object.keys(total).length];
  }

  // ------------------------------------------------------------------- export
  // The cases the page shows now: in a case layer that is switched on, and passing the
  // filters. One GeoJSON feature per drawn shape, with its case's fields.
  A.shownFeatures = function (map) {
    var out = [];
    caseGroups().forEach(function (g) {
      if (!map.hasLayer(g)) { return; }
      var data = g._ca.data;
      g._ca.items.forEach(function (item) {
        if (!item.visible) { return; }
        var props = {}, rec = data.records[item.rec] || {};
        Object.keys(rec).forEach(function (k) { props[k] = rec[k]; });
        if (item.extra && typeof item.extra === "object" && !Array.isArray(item.extra)) {
          Object.keys(item.extra).forEach(function (k) { props[k] = item.extra[k]; });
        }
        props.role = item.role;
        item.layers.forEach(function (l) {
          var gj = l.toGeoJSON(8);
          gj.properties = props;
          out.push(gj);
        });
      });
    });
    return out;
  };

  // A CSV cell: quoted, quotes doubled, lists joined; a cell a spreadsheet would run as
  // a formula (=, +, -, @, tab, return first) is prefixed with an apostrophe.
  function csvCell(value) {
    var text = list(value).map(function (v) {
      if (v === null || v === undefined) { return ""; }
      return typeof v === "object" ? (v.common || v.scientific || JSON.stringify(v)) : String(v);
    }).join("; ");
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return '"' + text.replace(/"/g, '""') + '"';
  }

  // One row per case shown, its fields as columns (geometry left to the GeoJSON).
  A.shownCsv = function (map) {
    var rows = {}, cols = [];
    A.shownFeatures(map).forEach(function (f) {
      var p = f.properties, key = p.id || p.name;
      if (rows[key]) { return; }
      rows[key] = p;
      Object.keys(p).forEach(function (k) { if (k !== "role" && cols.indexOf(k) < 0) { cols.push(k); } });
    });
    var lines = [cols.map(csvCell).join(",")];
    Object.keys(rows).forEach(function (k) {
      lines.push(cols.map(function (c) { return csvCell(rows[k][c]); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  };

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = el("a"); a.href = url; a.download = name;
    document.body.appendChild(a); a.click(); document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // ------------------------------------------------------------------- search
  // What a case can be found by: its id, name and feature names, species (common and
  // scientific), countries, realm, taxon, scale, region, interventions, threats,
  // organisations and summary. Every word of the query must occur; best first: the id
  // or name starting with the query, then the name holding it, then the rest, by name.
  function searchText(data, item) {
    var rec = data.records[item.rec] || {}, ex = item.extra || {};
    var parts = [rec.id, rec.name, ex.f, rec.realm, rec.taxon, rec.scale, rec.region, rec.summary];
    // "Kenya (KEN)": the name and the code.
    parts = parts.concat(list(rec.countries).map(countryLabel));
    ["interventions", "threats", "organisations"].forEach(function (k) { parts = parts.concat(list(rec[k])); });
    list(rec.species).forEach(function (s) {
      if (s && typeof s === "object") { parts.push(s.common, s.scientific); } else { parts.push(s); }
    });
    var text = parts.filter(function (p) { return p !== null && p !== undefined && p !== ""; }).join(" ");
    return " " + words(text).join(" ");
  }

  // Lower-case words (letters and digits), so that a query word matches the start of
  // a word: "FRA" finds France's code, not "infrastructure".
  function words(text) {
    return String(text).toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  A.search = function (query) {
    var wanted = words(query || "");
    if (!wanted.length) { return []; }
    var q = String(query).trim().toLowerCase(), seen = {}, out = [];
    caseGroups().forEach(function (g) {
      if (g._ca.data.searchable === false) { return; }
      g._ca.items.forEach(function (item) {
        var rec = g._ca.data.records[item.rec] || {}, key = caseKey(g._ca.data, item);
        if (!item._caText) { item._caText = searchText(g._ca.data, item); }
        if (!wanted.every(function (w) { return item._caText.indexOf(" " + w) >= 0; })) { return; }
        var name = String(rec.name || "").toLowerCase(), id = String(rec.id || "").toLowerCase();
        var rank = (id.indexOf(q) === 0 || name.indexOf(q) === 0) ? 0 : name.indexOf(q) >= 0 ? 1 : 2;
        // One entry per case: its best-ranked feature, shown ones first.
        var shownNow = item.visible ? 0 : 1;
        if (seen[key] && (seen[key].rank < rank || (seen[key].rank === rank && seen[key].shown <= shownNow))) { return; }
        seen[key] = { rank: rank, shown: shownNow, hit: [g, item], name: name };
      });
    });
    Object.keys(seen).forEach(function (k) { out.push(seen[k]); });
    out.sort(function (a, b) { return a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0); });
    return out.map(function (o) { return o.hit; });
  };

  // Why nothing is shown: every case's layer is switched off, or the filters that each
  // leave no case on their own (with their values), or the combination.
  function emptyReason(map, f) {
    var groups = caseGroups(), on = groups.filter(function (g) { return map.hasLayer(g); });
    if (groups.length && !on.length) { return "Every case layer is switched off (see the legend)."; }
    var active = Object.keys(f).filter(function (k) { return f[k]; });
    if (!active.length) { return "No case is in the layers switched on."; }
    var any = function (filter) {
      return on.some(function (g) {
        return g._ca.items.some(function (item) { return matches(g._ca.data.records[item.rec], filter); });
      });
    };
    var alone = active.filter(function (k) { var one = {}; one[k] = f[k]; return !any(one); });
    if (alone.length) {
      return "No case shown has " + alone.map(function (k) { return k + " \u201c" + f[k] + "\u201d"; }).join(" or ") + ".";
    }
    return "No case has all of " + active.map(function (k) { return k + " \u201c" + f[k] + "\u201d"; }).join(", ") + " together; clear one of them.";
  }

  function facetValues(field) {
    var seen = {};
    caseGroups().forEach(function (g) {
      var recs = g._ca.data.records;
      for (var i = 0; i < recs.length; i++) {
        list(recs[i][field]).forEach(function (v) { if (v !== null && v !== "") { seen[String(v)] = true; } });
      }
    });
    return Object.keys(seen).sort();
  }

  function finder(map, cfg) {
    return control("topleft", function () {
      var box = el("div", "leaflet-bar ca-panel ca-finder");
      box.setAttribute("role", "search");
      var details = el("details"); details.open = !!cfg.open;
      details.appendChild(el("summary", null, "Search & filter"));
      var form = el("form"), uid = "ca" + Math.round(Math.random() * 1e9).toString(36);
      form.setAttribute("autocomplete", "off");
      // search by case name
      var sl = el("label", null, "Search cases"); sl.htmlFor = uid + "-q";
      var q = el("input"); q.type = "search"; q.id = uid + "-q"; q.setAttribute("list", uid + "-names");
      q.className = "ca-search"; q.placeholder = "name, species, country code, id\u2026";
      var dlist = el("datalist"); dlist.id = uid + "-names";
      var byName = {};
      A.groups.forEach(function (g) {
        if (!g._ca.data.searchable) { return; }
        g._ca.items.forEach(function (item) {
          var name = label(g._ca.data, item);
          if (name && !byName[name.toLowerCase()]) { byName[name.toLowerCase()] = [g, item]; }
        });
      });
      // The suggestions are written when the box is first used: a list of every case
      // name is thousands of elements in a large catalogue, and a page that is only
      // looked at never needs it.
      var suggest = function () {
        q.removeEventListener("focus", suggest); q.removeEventListener("input", suggest);
        Object.keys(byName).sort().forEach(function (k) {
          var o = el("option"); o.value = label(byName[k][0]._ca.data, byName[k][1]); dlist.appendChild(o);
        });
      };
      q.addEventListener("focus", suggest); q.addEventListener("input", suggest);
      var status = el("p", "ca-status"); status.setAttribute("aria-live", "polite");
      var go = function () {
        var needle = q.value.trim();
        var hit = byName[needle.toLowerCase()];
        var shown = hit && hit[1].visible && map.hasLayer(hit[0]) ? [hit] : [];
        var hidden = [];
        if (!shown.length) {
          var found = A.search(needle);
          shown = found.filter(function (h) { return h[1].visible && map.hasLayer(h[0]); });
          hidden = found.filter(function (h) { return !(h[1].visible && map.hasLayer(h[0])); });
        }
        if (shown.length) {
          A.openItem(map, shown[0][0], shown[0][1]);
          var others = shown.length - 1;
          status.textContent = others ? others + (others === 1 ? " more case matches" : " more cases match") + " \u201c" + needle + "\u201d." : "";
        } else if (hidden.length) {
          status.textContent = hidden.length + (hidden.length === 1 ? " case matches" : " cases match") + " \u201c" + needle + "\u201d but the filters or switched-off layers hide " + (hidden.length === 1 ? "it" : "them") + ".";
        } else {
          status.textContent = "No case matches \u201c" + needle + "\u201d.";
        }
      };
      form.addEventListener("submit", function (ev) { ev.preventDefault(); go(); });
      q.addEventListener("change", function () { if (byName[q.value.trim().toLowerCase()]) { go(); } });
      var qrow = el("div", "ca-row");
      qrow.appendChild(q);
      var sb = el("button", "ca-btn", "Go"); sb.type = "submit"; qrow.appendChild(sb);
      form.appendChild(sl); form.appendChild(qrow); form.appendChild(dlist);
      // facets
      var state = {}, count = el("p", "ca-count-line");
      count.setAttribute("aria-live", "polite");
      var why = el("p", "ca-why"); why.setAttribute("aria-live", "polite");
      var refresh = function () {
        var n = A.applyFilter(map, state);
        count.textContent = "Showing " + n[0] + " of " + n[1] + " cases";
        why.textContent = n[0] ? "" : emptyReason(map, state);
      };
      // Counts follow the layer switches as well as the filters, and a layer switched
      // back on (from the legend too: the layer control reports it) is put under the
      // smaller shapes of the others again (applyFilter reorders).
      map.on("overlayadd overlayremove", refresh);
      (cfg.facets || []).forEach(function (facet) {
        var values = facetValues(facet[0]);
        if (!values.length) { return; }
        var id = uid + "-" + facet[0], lab = el("label", null, facet[1]); lab.htmlFor = id;
        var sel = el("select", "ca-facet"); sel.id = id; sel.setAttribute("data-facet", facet[2]);
        var all = el("option", null, "All"); all.value = ""; sel.appendChild(all);
        if (facet[0] === "countries") {
          // By name (with the code), as a planner looks for them.
          values.sort(function (x, y) { var a = countryLabel(x), b = countryLabel(y); return a < b ? -1 : a > b ? 1 : 0; });
        }
        values.forEach(function (v) {
          var o = el("option", null, facet[0] === "countries" ? countryLabel(v) : v); o.value = v; sel.appendChild(o);
        });
        sel.addEventListener("change", function () { state[facet[2]] = sel.value || null; refresh(); });
        form.appendChild(lab); form.appendChild(sel);
      });
      var reset = el("button", "ca-btn ca-reset", "Clear filters"); reset.type = "button";
      reset.addEventListener("click", function () {
        form.querySelectorAll("select").forEach(function (s) { s.value = ""; });
        state = {}; refresh();
      });
      form.appendChild(reset);
      var fit = el("button", "ca-btn ca-fit-results", "Zoom to results"); fit.type = "button";
      fit.addEventListener("click", function () {
        var b = L.latLngBounds([]);
        caseGroups().forEach(function (g) {
          if (!map.hasLayer(g)) { return; }
          g._ca.items.forEach(function (item) {
            if (!item.visible) { return; }
            b.extend(itemBounds(item));
          });
        });
        if (b.isValid()) { map.fitBounds(b, { maxZoom: 9, padding: [30, 30] }); }
      });
      form.appendChild(fit);
      form.appendChild(count); form.appendChild(why); form.appendChild(status);
      // Export what is shown, as the filters and the layer switches leave it.
      var exp = el("div", "ca-row ca-export");
      var gjb = el("button", "ca-btn", "Download GeoJSON"); gjb.type = "button";
      gjb.title = "Download the cases shown as GeoJSON (longitude/latitude, EPSG:4326)";
      gjb.addEventListener("click", function () {
        var fc = { type: "FeatureCollection", features: A.shownFeatures(map) };
        download("corridors-cases.geojson", "application/geo+json", JSON.stringify(fc));
      });
      var csvb = el("button", "ca-btn", "Download CSV"); csvb.type = "button";
      csvb.title = "Download the cases shown as a table, one row per case";
      csvb.addEventListener("click", function () {
        download("corridors-cases.csv", "text/csv", A.shownCsv(map));
      });
      exp.appendChild(gjb); exp.appendChild(csvb);
      form.appendChild(exp);
      details.appendChild(form);
      box.appendChild(details);
      refresh();
      return box;
    });
  }

  function tools(map, cfg) {
    return control("topleft", function () {
      var bar = el("div", "leaflet-bar ca-tools");
      button(bar, "\u2302", "Fit map to the data", function () {
        if (cfg.bounds) { map.fitBounds(cfg.bounds, { padding: [20, 20] }); }
      });
      var fs = button(bar, "\u2922", "Full screen", function () {
        var c = map.getContainer();
        var doc = document, on = doc.fullscreenElement || c.classList.contains("ca-fullscreen");
        if (on) {
          if (doc.fullscreenElement && doc.exitFullscreen) { doc.exitFullscreen(); }
          c.classList.remove("ca-fullscreen");
        } else if (c.requestFullscreen) {
          // In an iframe without permission the request fails: fall back to CSS.
          c.requestFullscreen().catch(function () { c.classList.add("ca-fullscreen"); map.invalidateSize(); });
        } else {
          c.classList.add("ca-fullscreen");
        }
        setTimeout(function () { map.invalidateSize(); }, 200);
      });
      fs.setAttribute("aria-pressed", "false");
      document.addEventListener("fullscreenchange", function () {
        fs.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
        map.invalidateSize();
      });
      measureTool(map, bar);
      return bar;
    });
  }

  // Great-circle distance (mean Earth radius), good to about 0.5 % for measuring.
  function haversineKm(a, b) {
    var R = 6371.0088, rad = Math.PI / 180;
    var dlat = (b.lat - a.lat) * rad, dlng = (b.lng - a.lng) * rad;
    var h = Math.sin(dlat / 2) * Math.sin(dlat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlng / 2) * Math.sin(dlng / 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  A.haversineKm = haversineKm;

  function measureTool(map, bar) {
    var pts = [], line = null, out = el("div", "ca-measure-out");
    out.setAttribute("aria-live", "polite"); out.hidden = true;
    var b = button(bar, "\u2194", "Measure distance (click points on the map; Esc ends)", function () {
      if (A.measuring) { stop(); } else { start(); }
    });
    b.setAttribute("aria-pressed", "false");
    bar.appendChild(out);
    function total() {
      var d = 0;
      for (var i = 1; i < pts.length; i++) { d += haversineKm(pts[i - 1], pts[i]); }
      return d;
    }
    function show() {
      var d = total();
      out.textContent = pts.length < 2 ? "Click on the map to add points" :
        (d < 10 ? d.toFixed(2) : d.toFixed(1)) + " km";
    }
    function onClick(e) {
      pts.push(e.latlng);
      if (!line) { line = L.polyline(pts, { color: "#000", weight: 2, dashArray: "4 4", interactive: false }).addTo(map); }
      line.setLatLngs(pts);
      show();
    }
    function onKey(e) { if (e.key === "Escape") { stop(); } }
    function start() {
      A.measuring = true; pts = []; b.setAttribute("aria-pressed", "true");
      map.getContainer().classList.add("ca-measuring");
      out.hidden = false; show();
      map.on("click", onClick); document.addEventListener("keydown", onKey);
    }
    function stop() {
      A.measuring = false; b.setAttribute("aria-pressed", "false");
      map.getContainer().classList.remove("ca-measuring");
      map.off("click", onClick); document.removeEventListener("keydown", onKey);
      if (line) { map.removeLayer(line); line = null; }
      out.hidden = true; pts = [];
    }
  }

  // A phone-sized map: the legend starts collapsed, the details are a bottom sheet.
  var NARROW_PX = 600, MIN_NARROW_ZOOM = 1;
  // Leaflet's kept size of the map: reading the container's width while the controls
  // are being built would make the browser lay the page out before its first paint.
  function narrow(map) { return map.getSize().x < NARROW_PX; }

  A.controls = function (map, cfg) {
    A.map = map;  // for scripts and tests that drive the page
    A.countryNames = cfg.countries || {};
    A.georef = cfg.georef || {};
    map.on("click", function (e) {
      if (A.measuring || (e.originalEvent && e.originalEvent._caTaken)) { return; }
      var touch = e.originalEvent && (e.originalEvent.pointerType === "touch" || e.originalEvent.sourceCapabilities && e.originalEvent.sourceCapabilities.firesTouchEvents);
      var hits = A.casesAt(map, e.latlng, touch ? HIT_PX_TOUCH : HIT_PX);
      if (hits.length) { answer(map, e.latlng, hits); }
    });
    map.on("zoomend", function () { resize(map); });
    resize(map);
    tools(map, cfg).addTo(map);
    if (cfg.search || (cfg.facets && cfg.facets.length)) { finder(map, cfg).addTo(map); }
    if (cfg.legend && cfg.legend.entries.length) { legend(map, cfg.legend).addTo(map); }
    map.getContainer().setAttribute("aria-label", cfg.label || "Map");
    map.getContainer().setAttribute("role", "application");
    // Nothing is written before the address has been read (the first view would
    // replace it).
    A.restoring = true;
    map.on("moveend", function () { writeState(map); });
    map.getContainer().addEventListener("change", function (ev) {
      if (ev.target && ev.target.classList && ev.target.classList.contains("ca-facet")) { writeState(map); }
    });
    window.addEventListener("hashchange", function () { restoreState(map); });
    // After the page's own first view, which a later script of the page sets.
    var restore = function () {
      setTimeout(function () {
        whenIdle(map, function () {
          // On a phone the whole catalogue fits at zoom 0, a world a third of the
          // screen wide: open a step closer, on the same centre.
          if (narrow(map) && map.getZoom() < MIN_NARROW_ZOOM) { map.setZoom(MIN_NARROW_ZOOM, { animate: false }); }
          restoreState(map);
          // Settled: the first view, the address and the markers of this zoom are in.
          whenIdle(map, function () { A.ready = true; });
        });
      }, 0);
    };
    if (document.readyState === "complete") { restore(); } else { window.addEventListener("load", restore); }
  };
})();
