// Sorting, filtering and paging for the report's tables. Hand-written, no library, nothing fetched.
// Every cell is written with textContent, never as HTML, so text from evidence stays text.
(function () {
  'use strict';
  var L = document.body.dataset;

  function fill(s, vals) {
    return String(s || '').replace(/\{(\w+)\}/g, function (m, k) { return k in vals ? vals[k] : m; });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // One sortable, filterable, paged table. rows: [{cells: [values], text: lower-case haystack, tr: element or null}].
  // dom=true: the rows are the table's own <tr>s (hidden by class, so printing shows every page);
  // dom=false: rows are built for the current page only (the file listing of a large case).
  function Table(table, rows, pageSize, dom) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.all = rows;
    this.shown = rows;
    this.page = 0;
    this.pageSize = pageSize;
    this.dom = dom;
    this.cols = table.tHead ? table.tHead.rows[0].cells.length : 1;
    this.sortCol = -1;
    this.sortDir = 1;
    this.controls();
    this.render();
  }

  Table.prototype.controls = function () {
    var self = this;
    var bar = el('div', 'tt-controls');
    this.input = el('input', 'filter');
    this.input.type = 'search';
    this.input.placeholder = L.lFilter || 'Filter';
    this.input.setAttribute('aria-label', L.lFilter || 'Filter');
    this.input.addEventListener('input', function () { self.filter(self.input.value); });
    this.count = el('span', 'count');
    this.prev = el('button', 'prev', L.lPrev || '<');
    this.next = el('button', 'next', L.lNext || '>');
    this.prev.type = this.next.type = 'button';
    this.pageInfo = el('span', 'pageinfo');
    this.prev.addEventListener('click', function () { self.go(self.page - 1); });
    this.next.addEventListener('click', function () { self.go(self.page + 1); });
    bar.appendChild(this.input);
    bar.appendChild(this.count);
    bar.appendChild(this.prev);
    bar.appendChild(this.pageInfo);
    bar.appendChild(this.next);
    this.table.parentNode.insertBefore(bar, this.table);
    if (!this.table.tHead) return;
    var ths = this.table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) {
      (function (col, th) {
        th.classList.add('sortable');
        th.tabIndex = 0;
        var sort = function () { self.sort(col, th.getAttribute('data-type') === 'num'); };
        th.addEventListener('click', sort);
        th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') sort(); });
      })(i, ths[i]);
    }
  };

  // All words must occur (case-insensitive) somewhere in the row.
  Table.prototype.filter = function (q) {
    var words = q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    if (!words.length) {
      this.shown = this.all;
    } else {
      this.shown = this.all.filter(function (r) {
        for (var i = 0; i < words.length; i++) if (r.text.indexOf(words[i]) < 0) return false;
        return true;
      });
    }
    this.page = 0;
    this.render();
  };

  Table.prototype.sort = function (col, numeric) {
    this.sortDir = this.sortCol === col ? -this.sortDir : 1;
    this.sortCol = col;
    var dir = this.sortDir;
    var key = function (r) {
      var v = r.cells[col];
      if (numeric) { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
      return v === null || v === undefined ? '' : String(v);
    };
    var cmp = function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    };
    var wasAll = this.shown === this.all;
    this.all = this.all.slice().sort(cmp);
    this.shown = wasAll ? this.all : this.shown.slice().sort(cmp);
    this.reorder = true;
    var ths = this.table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) ths[i].removeAttribute('aria-sort');
    ths[col].setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    this.render();
  };

  Table.prototype.go = function (p) {
    var pages = Math.max(1, Math.ceil(this.shown.length / this.pageSize));
    this.page = Math.min(Math.max(0, p), pages - 1);
    this.render();
  };

  Table.prototype.render = function () {
    var start = this.page * this.pageSize, end = start + this.pageSize;
    var pages = Math.max(1, Math.ceil(this.shown.length / this.pageSize));
    var body = this.tbody, i;
    if (this.dom) {
      var visible = new Map();
      for (i = 0; i < this.shown.length; i++) visible.set(this.shown[i], i);
      for (i = 0; i < this.all.length; i++) {
        var r = this.all[i], at = visible.get(r);
        r.tr.classList.toggle('off', at === undefined);
        r.tr.classList.toggle('pg', at !== undefined && (at < start || at >= end));
      }
      // The DOM order follows the sort (moved only after a sort); rows filtered out or on other
      // pages are hidden by class, so printing shows every page.
      if (this.reorder) {
        var frag = document.createDocumentFragment();
        for (i = 0; i < this.all.length; i++) frag.appendChild(this.all[i].tr);
        body.appendChild(frag);
        this.reorder = false;
      }
    } else {
      body.textContent = '';
      var frag2 = document.createDocumentFragment();
      for (i = start; i < Math.min(end, this.shown.length); i++) {
        var tr = el('tr');
        var cells = this.shown[i].cells;
        for (var c = 0; c < cells.length; c++) tr.appendChild(el('td', c === 2 ? 'path' : (c === 7 || c === 8 ? 'hash' : ''), cells[c] === null ? '' : String(cells[c])));
        frag2.appendChild(tr);
      }
      body.appendChild(frag2);
    }
    var old = body.querySelector('tr.none');
    if (old) old.parentNode.removeChild(old);
    if (!this.shown.length) {
      var none = el('tr', 'none');
      var td = el('td', 'muted', L.lEmpty || '');
      td.colSpan = this.cols;
      none.appendChild(td);
      body.appendChild(none);
    }
    this.count.textContent = fill(L.lShown, { shown: this.shown.length, total: this.all.length });
    this.pageInfo.textContent = fill(L.lPage, { page: this.page + 1, pages: pages });
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.table.setAttribute('data-shown', String(this.shown.length));
  };

  function domRows(table) {
    var out = [], trs = table.tBodies[0] ? table.tBodies[0].rows : [];
    for (var i = 0; i < trs.length; i++) {
      var cells = [], tds = trs[i].cells;
      for (var c = 0; c < tds.length; c++) cells.push(tds[c].textContent.trim());
      out.push({ cells: cells, text: cells.join('\u0001').toLowerCase(), tr: trs[i] });
    }
    return out;
  }

  var tables = [];
  var list = document.querySelectorAll('table.tt');
  for (var i = 0; i < list.length; i++)
    tables.push(new Table(list[i], domRows(list[i]), parseInt(list[i].getAttribute('data-page'), 10) || 50, true));

  var listing = document.getElementById('file-listing');
  if (listing && Array.isArray(window.TRIAGE_FILES)) {
    var rows = window.TRIAGE_FILES.map(function (cells) {
      return { cells: cells, text: cells.join('\u0001').toLowerCase(), tr: null };
    });
    tables.push(new Table(listing.querySelector('table'), rows, parseInt(listing.getAttribute('data-page'), 10) || 100, false));
  }
  window.triageReport = { tables: tables };
})();
