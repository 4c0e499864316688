/* gasnet map page: draws the layers of the JSON block #gasnet-data on the Folium map.
 * Text from the data only ever reaches the page through textContent: it shows as text and
 * never runs. Everything is drawn on one canvas; points that are many are clustered. */
function gasnetDraw(map) {
  "use strict";
  var cfg = JSON.parse(document.getElementById("gasnet-data").textContent);
  if (map.getMaxZoom() === Infinity) map.setMaxZoom(21); // no tiles: clustering needs a limit
  var T = cfg.labels;
  var canvas = L.canvas({ padding: 0.5 });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function table(props, fields) {
    var t = el("table", null, "gasnet-popup");
    (fields || Object.keys(props)).forEach(function (k) {
      var v = props[k];
      if (v === null || v === undefined || v === "") return;
      var tr = el("tr");
      tr.appendChild(el("th", (cfg.fields && cfg.fields[k]) || k));
      tr.appendChild(el("td", v));
      t.appendChild(tr);
    });
    return t;
  }

  function colour(spec, props) {
    if (spec.by && spec.colors) {
      var c = spec.colors[String(props[spec.by])];
      if (c) return c;
    }
    return spec.color || "#3366cc";
  }

  var overlays = {};
  var index = {};
  var fillers = [];
  var legend = [];
  var all = L.latLngBounds([]);
  cfg.layers.forEach(function (spec) {
    var style = function (f) {
      var c = colour(spec, f.properties);
      return {
        renderer: canvas,
        color: spec.stroke || c,
        fillColor: c,
        weight: spec.weight || 2,
        opacity: spec.opacity === undefined ? 0.9 : spec.opacity,
        fillOpacity: spec.fillOpacity === undefined ? 0.8 : spec.fillOpacity,
        radius: (spec.radiusBy && f.properties[spec.radiusBy]) ? spec.radiusBig : (spec.radius || 4),
        dashArray: spec.dash || null,
      };
    };
    var group = spec.cluster
      ? L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.featureGroup();
    // A layer is built when first shown (or searched): a hidden layer of 60,000 customers
    // costs nothing until it is wanted.
    var filled = false;
    function fill() {
      if (filled) return;
      filled = true;
      var layer = L.geoJSON(spec.data, {
        style: style,
        pointToLayer: function (f, ll) {
          var m = L.circleMarker(ll, style(f));
          if (spec.numbered && f.properties[spec.numbered] !== undefined) {
            m.bindTooltip(String(f.properties[spec.numbered]), { permanent: true, direction: "right", className: "gasnet-number" });
          }
          return m;
        },
        onEachFeature: function (f, lyr) {
          lyr.bindPopup(function () { return table(f.properties, spec.fields); }, { maxWidth: 420 });
          if (spec.id && f.properties[spec.id] !== undefined && f.properties[spec.id] !== null) {
            var key = String(f.properties[spec.id]);
            if (!index[key]) index[key] = { layer: lyr, group: group };
          }
        },
      });
      if (spec.cluster) group.addLayers(layer.getLayers());
      else group.addLayer(layer);
      if (spec.show !== false && layer.getLayers().length) all.extend(layer.getBounds());
    }
    fillers.push(fill);
    if (spec.show !== false) {
      fill();
      group.addTo(map);
    } else {
      group.once("add", fill);
    }
    overlays[spec.name] = group;
    if (spec.legend) legend.push(spec);
  });
  if (cfg.circle) {
    var circle = L.circle(cfg.circle.center, {
      radius: cfg.circle.radius, color: "#d7191c", weight: 2, fill: false, dashArray: "6 6",
    }).bindTooltip(cfg.circle.label);
    circle.addTo(map);
    overlays[cfg.circle.name] = circle;
    all.extend(L.latLng(cfg.circle.center).toBounds(2 * cfg.circle.radius));
  }
  if (cfg.focus) {
    var focus = L.latLngBounds(cfg.focus);
    if (cfg.circle) focus.extend(L.latLng(cfg.circle.center).toBounds(2 * cfg.circle.radius));
    map.fitBounds(focus, { padding: [20, 20] });
  } else if (all.isValid()) {
    map.fitBounds(all, { padding: [10, 10] });
  }

  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ metric: true, imperial: false }).addTo(map);

  // Legend
  if (legend.length) {
    var Legend = L.Control.extend({
      onAdd: function () {
        var box = el("div", null, "gasnet-legend leaflet-bar");
        legend.forEach(function (spec) {
          box.appendChild(el("div", spec.name, "gasnet-legend-title"));
          spec.legend.forEach(function (item) {
            var row = el("div", null, "gasnet-legend-row");
            var sw = el("span", null, "gasnet-swatch");
            sw.style.background = item[1];
            row.appendChild(sw);
            row.appendChild(el("span", item[0]));
            box.appendChild(row);
          });
        });
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    new Legend({ position: "bottomright" }).addTo(map);
  }

  // Show a feature by its asset id: zoom to it (out of its cluster) and open its popup.
  function show(id) {
    var hit = index[id];
    if (!hit) {
      fillers.forEach(function (fill) { fill(); }); // the hidden layers too
      hit = index[id];
    }
    if (!hit) return false;
    map.closePopup();
    var open = function () {
      if (hit.layer.getLatLng) map.setView(hit.layer.getLatLng(), Math.max(map.getZoom(), 17), { animate: false });
      else map.fitBounds(hit.layer.getBounds(), { maxZoom: 18, animate: false });
      hit.layer.openPopup();
    };
    if (!map.hasLayer(hit.group)) hit.group.addTo(map);
    // A clustered circle marker: zoom until its cluster opens (markercluster's own
    // zoomToShowLayer waits for a move that never comes when the marker is in view).
    if (hit.group.getVisibleParent) {
      map.setView(hit.layer.getLatLng(), map.getMaxZoom(), { animate: false });
    }
    open();
    return true;
  }

  // Buttons: search by asset id, measure, fullscreen.
  var Tools = L.Control.extend({
    onAdd: function () {
      var box = el("div", null, "gasnet-tools leaflet-bar");
      var input = el("input", null, "gasnet-search");
      input.type = "search";
      input.placeholder = T.search;
      input.setAttribute("aria-label", T.search);
      var msg = el("span", null, "gasnet-search-msg");
      input.addEventListener("keydown", function (ev) {
        if (ev.key !== "Enter") return;
        msg.textContent = show(input.value.trim()) ? "" : T.not_found;
      });
      box.appendChild(input);
      box.appendChild(msg);
      var measure = el("a", "\u2194", "gasnet-button");
      measure.href = "#";
      measure.title = T.measure;
      var points = [], line = null, out = el("span", null, "gasnet-measure");
      function click(ev) {
        points.push(ev.latlng);
        if (line) line.setLatLngs(points); else line = L.polyline(points, { color: "#000", dashArray: "4 4" }).addTo(map);
        var d = 0;
        for (var i = 1; i < points.length; i++) d += map.distance(points[i - 1], points[i]);
        out.textContent = d < 1000 ? d.toFixed(1) + " m" : (d / 1000).toFixed(3) + " km";
      }
      L.DomEvent.on(measure, "click", function (ev) {
        L.DomEvent.preventDefault(ev);
        var on = measure.classList.toggle("active");
        if (on) { map.on("click", click); out.textContent = T.measure_hint; }
        else { map.off("click", click); points = []; if (line) { map.removeLayer(line); line = null; } out.textContent = ""; }
      });
      box.appendChild(measure);
      box.appendChild(out);
      var full = el("a", "\u26f6", "gasnet-button");
      full.href = "#";
      full.title = T.fullscreen;
      L.DomEvent.on(full, "click", function (ev) {
        L.DomEvent.preventDefault(ev);
        if (document.fullscreenElement) document.exitFullscreen();
        else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
      });
      box.appendChild(full);
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  new Tools({ position: "topleft" }).addTo(map);

  // Minimap: the overview of the layers marked for it, and where the main view is.
  if (cfg.minimap) {
    var div = el("div", null, "gasnet-minimap");
    map.getContainer().appendChild(div);
    L.DomEvent.disableClickPropagation(div);
    var mini = L.map(div, { attributionControl: false, zoomControl: false, dragging: false,
      scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false, preferCanvas: true });
    var miniCanvas = L.canvas();
    cfg.layers.forEach(function (spec) {
      if (!spec.minimap) return;
      var keep = spec.minimap.values ? function (f) { return spec.minimap.values.indexOf(f.properties[spec.minimap.field]) >= 0; } : null;
      L.geoJSON(spec.data, {
        filter: keep,
        style: function (f) { return { renderer: miniCanvas, color: colour(spec, f.properties), weight: 1 }; },
      }).addTo(mini);
    });
    if (all.isValid()) mini.fitBounds(all);
    var box = L.rectangle(map.getBounds(), { color: "#ff7800", weight: 1, fill: false }).addTo(mini);
    map.on("moveend", function () { box.setBounds(map.getBounds()); });
  }

  // Side panel: tables of the answer (the isolation order, the top hazards).
  if (cfg.panel) {
    var panel = document.getElementById("gasnet-panel");
    panel.appendChild(el("h1", cfg.panel.title));
    (cfg.panel.lines || []).forEach(function (line) { panel.appendChild(el("p", line)); });
    cfg.panel.sections.forEach(function (sec) {
      panel.appendChild(el("h2", sec.title));
      if (!sec.rows.length) { panel.appendChild(el("p", T.none)); return; }
      var t = el("table", null, "gasnet-table");
      var head = el("tr");
      sec.columns.forEach(function (c) { head.appendChild(el("th", c)); });
      t.appendChild(head);
      sec.rows.forEach(function (r, i) {
        var tr = el("tr", null, sec.marked && sec.marked[i] ? "marked" : "");
        r.forEach(function (v, j) {
          var td = el("td");
          if (sec.links && sec.links[j] && v) {
            var a = el("a", T.navigate);
            var url = String(v);
            if (/^https:\/\//.test(url)) { a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer"; }
            td.appendChild(a);
          } else {
            td.textContent = v === null || v === undefined ? "" : String(v);
          }
          tr.appendChild(td);
        });
        t.appendChild(tr);
      });
      panel.appendChild(t);
    });
  }
  window.gasnetMap = { map: map, overlays: overlays, index: index, show: show };
}
// Folium's script, which makes the map, runs after this one: draw once the page is parsed.
document.addEventListener("DOMContentLoaded", function () { gasnetDraw(window[MAP_NAME]); });
