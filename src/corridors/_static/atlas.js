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

  var A = { groups: [], measuring: false };
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
  // Integers are coordinates times 10^digits, each relative to the previous vertex.
  function run(flat, st, k) {
    var out = new Array(flat.length / 2);
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

  function caseContent(data, item) {
    var rec = data.records[item.rec], ex = item.extra || {};
    var box = el("div", "ca-popup");
    box.appendChild(el("h2", "ca-title", rec.name || "(unnamed case)"));
    if (ex.f || ex.r) {
      box.appendChild(el("p", "ca-feature", [ex.f, ex.r].filter(Boolean).join(" \u2014 ")));
    }
    var dl = el("dl");
    if (list(rec.species).length) {
      dl.appendChild(el("dt", null, "Species"));
      var dd = el("dd"); species(dd, rec.species); dl.appendChild(dd);
    }
    row(dl, "Countries", rec.countries);
    row(dl, "Realm", rec.realm);
    row(dl, "Taxon", rec.taxon);
    row(dl, "Scale", rec.scale);
    row(dl, "Interventions", rec.interventions);
    row(dl, "Threats", rec.threats);
    row(dl, "Organisations", rec.organisations);
    row(dl, "Region", rec.region);
    var u = (ex.u !== undefined && ex.u !== null) ? ex.u : rec.uncertainty;
    if (u !== undefined && u !== null) {
      row(dl, "Location uncertainty", "\u00b1 " + u + " km" + (ex.m ? " (" + ex.m + ")" : ""));
    }
    if (item.why) { row(dl, "Query", item.why); }
    box.appendChild(dl);
    if (rec.id) {
      // A link that opens this page on this case (the id is percent-encoded text).
      var share = el("p", "ca-share");
      var link = el("a", null, "Link to this case");
      link.href = "#case=" + encodeURIComponent(rec.id);
      share.appendChild(link);
      box.appendChild(share);
    }
    if (rec.summary) { box.appendChild(el("p", "ca-summary", rec.summary)); }
    var href = safeUrl(rec.url);
    if (href) {
      var p = el("p", "ca-source");
      p.appendChild(document.createTextNode("Source: "));
      var a = el("a", null, rec.source || href);
      a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
      p.appendChild(a);
      box.appendChild(p);
    } else if (rec.source) {
      box.appendChild(el("p", "ca-source", "Source: " + rec.source));
    }
    return box;
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

  function popupContent(data, item) {
    return data.kind === "case" ? caseContent(data, item) : genericContent(data, item);
  }

  // One popup per map, reused, so a second open replaces the first.
  function showPopup(map, latlng, content) {
    if (!map._caPopup) { map._caPopup = L.popup({ maxWidth: 340, autoPanPadding: [24, 24] }); }
    map._caPopup.setLatLng(latlng).setContent(content);
    if (!map.hasLayer(map._caPopup)) { map._caPopup.openOn(map); } else { map._caPopup.update(); }
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
    if (data.sea) {
      group.on("add", function () { if (group._map) { group._map.getContainer().classList.add("ca-offline-sea"); } });
      group.on("remove", function () { if (map) { map.getContainer().classList.remove("ca-offline-sea"); } });
    }
    var nPoints = 0;
    data.features.forEach(function (f) { f[3].forEach(function (g) { if (g[0] === 0) { nPoints += g[1].length / 2; } }); });
    if (data.cluster && nPoints >= data.cluster && L.markerClusterGroup) {
      cluster = L.markerClusterGroup({ showCoverageOnHover: false, chunkedLoading: true, maxClusterRadius: 40 });
      group.addLayer(cluster);
    }
    data.features.forEach(function (f) {
      var role = data.forceRole || data.roles[f[1]], geo = decode(f[3], f[2]);
      var item = { rec: f[0], role: role, extra: f[4] || null, layers: [], group: group };
      if (f[5]) { item.why = f[5]; }
      var st = custom;
      geo.points.forEach(function (p) {
        var m = L.circleMarker(p, markerStyle(role, color, st));
        m._caItem = item; m._caParent = cluster || group; item.layers.push(m);
      });
      if (geo.lines.length) {
        var ln = L.polyline(geo.lines, pathStyle(role, color, st));
        ln._caItem = item; ln._caParent = group; item.layers.push(ln);
      }
      if (geo.polygons.length) {
        var pg = L.polygon(geo.polygons, pathStyle(role, color, st));
        pg._caItem = item; pg._caParent = group; item.layers.push(pg);
      }
      item.layers.forEach(function (l) { l._caParent.addLayer(l); });
      item.visible = true;
      items.push(item);
    });
    group._ca = { data: data, items: items, cluster: cluster };
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
      group.on("click", function (e) {
        var l = e.layer, item = l && l._caItem, map = group._map;
        if (!item || !map || A.measuring || data.popup === false) { return; }
        showPopup(map, e.latlng, popupContent(data, item));
        select(map, data, item);
      });
    }
    A.groups.push(group);
    return group;
  };

  A.openItem = function (map, group, item) {
    var b = L.latLngBounds([]);
    item.layers.forEach(function (l) { b.extend(l.getBounds ? l.getBounds() : l.getLatLng()); });
    if (!b.isValid()) { return; }
    if (!map.hasLayer(group)) { map.addLayer(group); }
    map.fitBounds(b, { maxZoom: 9, padding: [40, 40], animate: false });
    showPopup(map, b.getCenter(), popupContent(group._ca.data, item));
    select(map, group._ca.data, item);
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
      var details = el("details"); details.open = true;
      details.appendChild(el("summary", null, cfg.title || "Legend"));
      var ul = el("ul");
      cfg.entries.forEach(function (entry) {
        var li = el("li"), b = el("button", "ca-legend-item");
        b.type = "button";
        var sw = el("span", "ca-swatch"); sw.style.background = entry.color;
        b.appendChild(sw); b.appendChild(el("span", "ca-legend-label", entry.label));
        if (entry.count !== undefined) { b.appendChild(el("span", "ca-count", entry.count)); }
        var sync = function () {
          var on = map.hasLayer(entry.layer);
          b.setAttribute("aria-pressed", on ? "true" : "false");
          b.title = (on ? "Hide " : "Show ") + entry.label;
        };
        b.addEventListener("click", function () {
          if (map.hasLayer(entry.layer)) { map.removeLayer(entry.layer); } else { map.addLayer(entry.layer); }
          sync();
        });
        map.on("overlayadd overlayremove layeradd layerremove", sync);
        sync();
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
    var shown = {}, total = {};
    caseGroups().forEach(function (g) {
      var data = g._ca.data, on = map.hasLayer(g);
      g._ca.items.forEach(function (item) {
        var rec = data.records[item.rec], key = rec.id || rec.name, ok = matches(rec, f);
        total[key] = true;
        if (ok && on) { shown[key] = true; }
        if (ok === item.visible) { return; }
        item.visible = ok;
        item.layers.forEach(function (l) {
          if (ok) { l._caParent.addLayer(l); } else { l._caParent.removeLayer(l); }
        });
      });
    });
    return [Object.keys(shown).length, Object.keys(total).length];
  };

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
    ["countries", "interventions", "threats", "organisations"].forEach(function (k) { parts = parts.concat(list(rec[k])); });
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
        var rec = g._ca.data.records[item.rec] || {}, key = rec.id || rec.name;
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
      Object.keys(byName).sort().forEach(function (k) {
        var o = el("option"); o.value = label(byName[k][0]._ca.data, byName[k][1]); dlist.appendChild(o);
      });
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
      // Counts follow the layer switches as well as the filters.
      map.on("overlayadd overlayremove", refresh);
      (cfg.facets || []).forEach(function (facet) {
        var values = facetValues(facet[0]);
        if (!values.length) { return; }
        var id = uid + "-" + facet[0], lab = el("label", null, facet[1]); lab.htmlFor = id;
        var sel = el("select", "ca-facet"); sel.id = id; sel.setAttribute("data-facet", facet[2]);
        var all = el("option", null, "All"); all.value = ""; sel.appendChild(all);
        values.forEach(function (v) { var o = el("option", null, v); o.value = v; sel.appendChild(o); });
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
            item.layers.forEach(function (l) { b.extend(l.getBounds ? l.getBounds() : l.getLatLng()); });
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

  A.controls = function (map, cfg) {
    A.map = map;  // for scripts and tests that drive the page
    tools(map, cfg).addTo(map);
    if (cfg.search || (cfg.facets && cfg.facets.length)) { finder(map, cfg).addTo(map); }
    if (cfg.legend && cfg.legend.entries.length) { legend(map, cfg.legend).addTo(map); }
    map.getContainer().setAttribute("aria-label", cfg.label || "Map");
    map.getContainer().setAttribute("role", "application");
    // Nothing is written before the address has been read (the first view would
    // replace it).
    A.restoring = true;
    map.on("moveend", function () { writeState(map); });
    map.on("popupclose", function () { A.selected = null; writeState(map); });
    map.getContainer().addEventListener("change", function (ev) {
      if (ev.target && ev.target.classList && ev.target.classList.contains("ca-facet")) { writeState(map); }
    });
    window.addEventListener("hashchange", function () { restoreState(map); });
    // After the page's own first view, which a later script of the page sets.
    var restore = function () { setTimeout(function () { whenIdle(map, restoreState); }, 0); };
    if (document.readyState === "complete") { restore(); } else { window.addEventListener("load", restore); }
  };
})();
