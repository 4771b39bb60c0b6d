/* The offer editor: builds the draft from the page, prices it live on the server (the same
   pricing code that saves it), saves it as JSON. Keyboard: type in the product search, arrows
   to choose, Enter to add (focus jumps to the quantity; Enter there goes back to the search),
   Ctrl+S saves. */
(function () {
  "use strict";
  var root = document.getElementById("offer-editor");
  if (!root) return;
  var data = JSON.parse(document.getElementById("offer-data").textContent);
  var catalog = JSON.parse(document.getElementById("offer-catalog").textContent);
  var T = JSON.parse(document.getElementById("offer-i18n").textContent);
  var urls = root.dataset;
  var lang = document.documentElement.lang || "pl";
  var fmt = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var revision = data.revision;
  var dirty = false;
  var previewTimer = null;
  var recipients = data.recipients.slice();

  function $(sel, el) { return (el || root).querySelector(sel); }
  function $$(sel, el) { return Array.prototype.slice.call((el || root).querySelectorAll(sel)); }
  function money(v) { return v === null || v === undefined || v === "" ? "" : fmt.format(Number(v)); }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(html) { var t = document.createElement("template"); t.innerHTML = html.trim(); return t.content.firstChild; }
  function touch() { dirty = true; schedulePreview(); }

  /* ---------- customers ---------- */
  function renderRecipients() {
    var box = $("#recipients");
    box.innerHTML = "";
    if (!recipients.length) box.appendChild(el('<span class="text-muted small">' + esc(T.no_customers) + "</span>"));
    recipients.forEach(function (r, i) {
      var chip = el('<span class="badge badge-light border p-2 mr-2 mb-2 offer-chip" data-testid="recipient" data-path="recipients.' + i + '">' +
        esc(r.name) + (r.nip ? ' <span class="text-muted">NIP ' + esc(r.nip) + "</span>" : "") +
        (r.city ? ' <span class="text-muted">· ' + esc(r.city) + "</span>" : "") +
        ' <button type="button" class="close ml-2" aria-label="' + esc(T.remove) + '">&times;</button></span>');
      chip.querySelector("button").addEventListener("click", function () { recipients.splice(i, 1); renderRecipients(); touch(); });
      box.appendChild(chip);
    });
  }

  /* ---------- search dropdowns (products and customers) ---------- */
  function searchBox(input, list, url, render, choose) {
    var items = [], active = -1, timer = null, seq = 0;
    function close() { list.innerHTML = ""; list.classList.add("d-none"); items = []; active = -1; }
    function show() {
      list.innerHTML = "";
      if (!items.length) { list.appendChild(el('<div class="list-group-item small text-muted">' + esc(T.nothing_found) + "</div>")); }
      items.forEach(function (item, i) {
        var row = el('<button type="button" class="list-group-item list-group-item-action py-1 small' + (i === active ? " active" : "") + '">' + render(item) + "</button>");
        row.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(row);
      });
      list.classList.remove("d-none");
    }
    function pick(i) { var item = items[i]; close(); input.value = ""; if (item) choose(item); }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (rows) { if (mine !== seq) return; items = rows; active = rows.length ? 0 : -1; show(); });
      }, 180);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { active = Math.min(active + 1, items.length - 1); show(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && items.length) { active = Math.max(active - 1, 0); show(); e.preventDefault(); }
      else if (e.key === "Enter") { e.preventDefault(); if (items.length) pick(Math.max(active, 0)); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  /* ---------- lines ---------- */
  function packagingOptions(line) {
    var opts = '<option value="">' + esc(T.single_units) + "</option>";
    (line.packaging || []).forEach(function (p) {
      opts += '<option value="' + p.id + '"' + (String(line.packaging_unit_id) === String(p.id) ? " selected" : "") + ">" +
        esc(p.name) + " (" + esc(Number(p.quantity)) + ")</option>";
    });
    return opts;
  }
  function lineRow(line) {
    var tr = el('<tr class="offer-line" data-testid="offer-line">' +
      '<td class="text-muted small align-middle line-no"></td>' +
      '<td><input class="form-control form-control-sm" data-field="name" value="' + esc(line.name) + '" maxlength="300">' +
      '<div class="small text-muted">' + esc(line.sku || T.free_text) + (line.list_price ? " · " + esc(T.list_price) + " " + money(line.list_price) : "") + '<span class="rounded-note text-warning"></span></div></td>' +
      '<td><select class="form-control form-control-sm" data-field="packaging_unit_id"' + ((line.packaging || []).length ? "" : " disabled") + ">" + packagingOptions(line) + "</select></td>" +
      '<td><input class="form-control form-control-sm text-right" data-field="quantity" value="' + esc(line.quantity) + '" inputmode="decimal" aria-label="' + esc(T.quantity) + '"></td>' +
      '<td><input class="form-control form-control-sm" data-field="unit" value="' + esc(line.unit || "szt.") + '" maxlength="16"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="unit_price" value="' + esc(line.unit_price) + '" inputmode="decimal" aria-label="' + esc(T.unit_price) + '"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="discount_pct" value="' + esc(line.discount_pct && Number(line.discount_pct) ? line.discount_pct : "") + '" inputmode="decimal" placeholder="0"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="vat_rate" value="' + esc(line.vat_rate) + '" inputmode="decimal"></td>' +
      '<td class="text-center align-middle"><input type="checkbox" data-field="optional"' + (line.optional ? " checked" : "") + ' title="' + esc(T.optional) + '"></td>' +
      '<td class="text-right align-middle line-net font-weight-bold"></td>' +
      '<td class="text-right align-middle small line-margin text-muted"></td>' +
      '<td class="align-middle"><button type="button" class="btn btn-sm btn-link text-danger p-0 remove" title="' + esc(T.remove) + '">&times;</button></td></tr>');
    tr._line = { product_id: line.product_id || null, sku: line.sku || null };
    tr.querySelector(".remove").addEventListener("click", function () { tr.remove(); renumber(); touch(); });
    tr.querySelector('[data-field="quantity"]').addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); $("#product-search").focus(); }
    });
    return tr;
  }
  function renumber() {
    $$("#lines tbody tr").forEach(function (tr, i) {
      tr.querySelector(".line-no").textContent = i + 1;
      tr.dataset.path = "lines." + i;
      $$("[data-field]", tr).forEach(function (input) { input.dataset.path = "lines." + i + "." + input.dataset.field; });
    });
    $("#lines-empty").classList.toggle("d-none", $$("#lines tbody tr").length > 0);
  }
  function addProduct(p) {
    // Sold in packages: start with the smallest one (the rep may switch to single units).
    var pack = (p.packaging || [])[0];
    var line = { product_id: p.id, sku: p.sku, name: p.name, unit: p.unit, packaging: p.packaging,
      packaging_unit_id: pack ? pack.id : null, quantity: pack ? String(Number(pack.quantity)) : "1",
      list_price: p.price_net, unit_price: p.price_net, vat_rate: p.vat_rate, optional: false };
    var tr = lineRow(line);
    $("#lines tbody").appendChild(tr);
    renumber(); touch();
    var qty = tr.querySelector('[data-field="quantity"]');
    qty.focus(); qty.select();
  }

  /* ---------- services and conditions ---------- */
  function serviceRow(s) {
    var tr = el('<tr data-testid="offer-service">' +
      '<td><input class="form-control form-control-sm" data-field="name" value="' + esc(s.name) + '"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="quantity" value="' + esc(s.quantity || "1") + '" inputmode="decimal"></td>' +
      '<td><input class="form-control form-control-sm" data-field="unit" value="' + esc(s.unit || "usł.") + '"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="unit_price" value="' + esc(s.unit_price) + '" inputmode="decimal"></td>' +
      '<td><input class="form-control form-control-sm text-right" data-field="vat_rate" value="' + esc(s.vat_rate) + '" inputmode="decimal"></td>' +
      '<td class="text-right align-middle service-net font-weight-bold"></td>' +
      '<td class="align-middle"><button type="button" class="btn btn-sm btn-link text-danger p-0 remove">&times;</button></td></tr>');
    tr._service = { extra_service_id: s.extra_service_id || null };
    tr.querySelector(".remove").addEventListener("click", function () { tr.remove(); renumberServices(); touch(); });
    return tr;
  }
  function renumberServices() {
    $$("#services tbody tr").forEach(function (tr, i) {
      tr.dataset.path = "services." + i;
      $$("[data-field]", tr).forEach(function (input) { input.dataset.path = "services." + i + "." + input.dataset.field; });
    });
  }
  function conditionBlock(c) {
    var div = el('<div class="border rounded p-2 mb-2 offer-condition" data-testid="offer-condition">' +
      '<div class="d-flex mb-1"><input class="form-control form-control-sm font-weight-bold" data-field="title" value="' + esc(c.title) + '">' +
      '<button type="button" class="btn btn-sm btn-link text-danger remove ml-2">&times;</button></div>' +
      '<textarea class="form-control form-control-sm" rows="2" data-field="body">' + esc(c.body) + "</textarea></div>");
    div._condition = { template_id: c.template_id || null };
    div.querySelector(".remove").addEventListener("click", function () { div.remove(); renumberConditions(); touch(); });
    return div;
  }
  function renumberConditions() {
    $$("#conditions .offer-condition").forEach(function (div, i) {
      $$("[data-field]", div).forEach(function (input) { input.dataset.path = "conditions." + i + "." + input.dataset.field; });
    });
  }

  /* ---------- the payload ---------- */
  function val(elm, field) {
    var input = elm.querySelector('[data-field="' + field + '"]');
    if (!input) return null;
    return input.type === "checkbox" ? input.checked : input.value;
  }
  function collect() {
    return {
      revision: revision,
      title: $("#f-title").value,
      valid_until: $("#f-valid-until").value,
      currency: $("#f-currency").value,
      pricing_mode: $('input[name="pricing_mode"]:checked').value,
      final_total_net: $("#f-final-total").value,
      intro: $("#f-intro").value,
      internal_notes: $("#f-notes").value,
      recipients: recipients.map(function (r) { return { customer_id: r.id, contact_ids: r.contact_ids || null }; }),
      lines: $$("#lines tbody tr").map(function (tr) {
        return { product_id: tr._line.product_id, sku: tr._line.sku, name: val(tr, "name"), unit: val(tr, "unit"),
          packaging_unit_id: val(tr, "packaging_unit_id") || null, quantity: val(tr, "quantity"), unit_price: val(tr, "unit_price"),
          discount_pct: val(tr, "discount_pct"), vat_rate: val(tr, "vat_rate"), optional: val(tr, "optional") };
      }),
      services: $$("#services tbody tr").map(function (tr) {
        return { extra_service_id: tr._service.extra_service_id, name: val(tr, "name"), quantity: val(tr, "quantity"),
          unit: val(tr, "unit"), unit_price: val(tr, "unit_price"), vat_rate: val(tr, "vat_rate") };
      }),
      conditions: $$("#conditions .offer-condition").map(function (div) {
        return { template_id: div._condition.template_id, title: val(div, "title"), body: val(div, "body") };
      })
    };
  }

  /* ---------- server round trips ---------- */
  function post(url, payload) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": urls.csrf },
      body: JSON.stringify(payload) })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }
  function clearErrors() {
    $$(".is-invalid").forEach(function (x) { x.classList.remove("is-invalid"); });
    $$(".invalid-feedback.editor-error").forEach(function (x) { x.remove(); });
  }
  function showErrors(errors) {
    clearErrors();
    Object.keys(errors || {}).forEach(function (path) {
      var target = root.querySelector('[data-path="' + path + '"]') || root.querySelector('[data-path="' + path.split(".").slice(0, 2).join(".") + '"]') ||
        root.querySelector('[data-path="' + path.split(".")[0] + '"]');
      if (!target) return;
      target.classList.add("is-invalid");
      var fb = el('<div class="invalid-feedback editor-error d-block">' + esc(errors[path].join(" ")) + "</div>");
      var holder = target.tagName === "TR" ? target.cells[1] : target.parentNode;
      holder.appendChild(fb);
    });
  }
  function message(kind, text, notices) {
    var box = $("#editor-messages");
    box.innerHTML = "";
    if (text) box.appendChild(el('<div class="alert alert-' + kind + ' py-2" role="alert" data-testid="editor-message">' + esc(text) + "</div>"));
    (notices || []).forEach(function (n) { box.appendChild(el('<div class="alert alert-warning py-2" data-testid="editor-notice">' + esc(n) + "</div>")); });
  }
  function showPrices(p) {
    $$("#lines tbody tr").forEach(function (tr, i) {
      var line = p.lines[i] || {};
      tr.querySelector(".line-net").textContent = money(line.net);
      tr.querySelector(".line-margin").textContent = line.margin !== null && line.margin !== undefined ? money(line.margin) : "";
      tr.querySelector(".rounded-note").textContent = line.rounded_from ? " · " + T.rounded.replace("{from}", Number(line.rounded_from)).replace("{to}", Number(line.quantity)) : "";
    });
    $$("#services tbody tr").forEach(function (tr, i) { tr.querySelector(".service-net").textContent = money(p.services[i]); });
    var rows = p.by_rate.map(function (r) {
      return "<tr><td>" + esc(Number(r.rate)) + "%</td><td class=\"text-right\">" + money(r.net) + "</td><td class=\"text-right\">" + money(r.vat) + "</td><td class=\"text-right\">" + money(r.gross) + "</td></tr>";
    }).join("");
    $("#totals-rates").innerHTML = rows;
    $("#t-net").textContent = money(p.net);
    $("#t-vat").textContent = money(p.vat);
    $("#t-gross").textContent = money(p.gross);
    $("#t-optional").textContent = money(p.optional_net);
    $("#t-margin").textContent = p.margin !== null ? money(p.margin) + (p.margin_pct !== null ? " (" + Number(p.margin_pct).toLocaleString(lang) + "%)" : "") : "—";
    $("#t-margin-note").classList.toggle("d-none", !!p.margin_complete);
  }
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      post(urls.previewUrl, collect()).then(function (res) {
        if (res.status === 200) { clearErrors(); showPrices(res.body); $("#totals").classList.remove("stale"); }
        else if (res.body && res.body.errors) { showErrors(res.body.errors); $("#totals").classList.add("stale"); }
      });
    }, 350);
  }
  function save(close) {
    clearTimeout(previewTimer);
    var button = $("#save");
    button.disabled = true;
    return post(urls.saveUrl, collect()).then(function (res) {
      button.disabled = false;
      if (res.status === 200) {
        revision = res.body.revision; dirty = false; clearErrors(); showPrices(res.body);
        message("success", res.body.message, res.body.notices);
        if (close) window.location = urls.detailsUrl;
      } else {
        showErrors(res.body.errors);
        message("danger", res.body.message || T.failed);
      }
    }).catch(function () { button.disabled = false; message("danger", T.failed); });
  }

  /* ---------- start ---------- */
  renderRecipients();
  data.lines.forEach(function (l) { $("#lines tbody").appendChild(lineRow(l)); });
  renumber();
  data.services.forEach(function (s) { $("#services tbody").appendChild(serviceRow(s)); });
  renumberServices();
  data.conditions.forEach(function (c) { $("#conditions").appendChild(conditionBlock(c)); });
  renumberConditions();
  function syncMode() {
    var final = $('input[name="pricing_mode"]:checked').value === "final_total";
    $("#final-total-group").classList.toggle("d-none", !final);
  }
  $$('input[name="pricing_mode"]').forEach(function (r) { r.addEventListener("change", function () { syncMode(); touch(); }); });
  syncMode();
  root.addEventListener("input", function (e) { if (e.target.matches("[data-field], .offer-header-field")) touch(); });
  root.addEventListener("change", function (e) { if (e.target.matches("[data-field], .offer-header-field")) touch(); });

  searchBox($("#product-search"), $("#product-results"), urls.productsUrl, function (p) {
    return "<b>" + esc(p.sku) + "</b> " + esc(p.name) + ' <span class="float-right">' + money(p.price_net) + "</span>" +
      (p.ean ? '<br><span class="text-muted">EAN ' + esc(p.ean) + "</span>" : "") + (p.active ? "" : ' <span class="badge badge-warning">' + esc(T.inactive) + "</span>");
  }, addProduct);
  searchBox($("#customer-search"), $("#customer-results"), urls.customersUrl, function (c) {
    return "<b>" + esc(c.name) + "</b>" + (c.nip ? " · NIP " + esc(c.nip) : "") + (c.city ? " · " + esc(c.city) : "");
  }, function (c) {
    if (!recipients.some(function (r) { return r.id === c.id; })) { c.contact_ids = null; recipients.push(c); renderRecipients(); touch(); }
  });
  $("#add-free-line").addEventListener("click", function () {
    var tr = lineRow({ name: "", quantity: "1", unit: "szt.", unit_price: "", vat_rate: "23" });
    $("#lines tbody").appendChild(tr); renumber(); tr.querySelector('[data-field="name"]').focus();
  });
  $("#add-service").addEventListener("click", function () {
    var pick = $("#service-pick");
    var found = catalog.extra_services.filter(function (s) { return String(s.id) === pick.value; })[0];
    var s = found ? { extra_service_id: found.id, name: found.name, unit: found.unit, unit_price: found.price, vat_rate: found.vat_rate, quantity: "1" }
      : { name: "", unit_price: "", vat_rate: "23", quantity: "1" };
    var tr = serviceRow(s); $("#services tbody").appendChild(tr); renumberServices(); touch();
    tr.querySelector(found ? '[data-field="unit_price"]' : '[data-field="name"]').focus();
  });
  $("#add-condition").addEventListener("click", function () {
    var pick = $("#condition-pick");
    var found = catalog.condition_templates.filter(function (t) { return String(t.id) === pick.value; })[0];
    var div = conditionBlock(found ? { template_id: found.id, title: found.title, body: found.body } : { title: "", body: "" });
    $("#conditions").appendChild(div); renumberConditions(); touch();
    div.querySelector(found ? "textarea" : "input").focus();
  });
  $("#save").addEventListener("click", function () { save(false); });
  $("#save-close").addEventListener("click", function () { save(true); });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") { e.preventDefault(); save(false); }
  });
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
  window.offerEditor = { save: save, collect: collect, isDirty: function () { return dirty; } };
  schedulePreview();
})();
