// The emergency notice hides itself when it ends, on a page left open (a reload would not show it any more).
(function () {
  "use strict";
  var notice = document.getElementById("notice");
  var ends = notice ? Date.parse(notice.getAttribute("data-ends") || "") : NaN;
  if (isNaN(ends)) return;
  // setTimeout waits at most about 24.8 days: a longer notice is looked at again then.
  (function check() {
    var left = ends - Date.now();
    if (left <= 0) notice.hidden = true;
    else setTimeout(check, Math.min(left, 2147483647));
  })();
})();
