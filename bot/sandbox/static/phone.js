// The phone simulator: keep the chat scrolled to the newest message and poll for pushes.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (!chat) { return; }
  function scrollDown() { chat.scrollTop = chat.scrollHeight; }
  function poll() {
    var url = chat.dataset.feed + "?after=" + encodeURIComponent(chat.dataset.last || "0");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html.trim()) { return; }
        chat.insertAdjacentHTML("beforeend", html);
        var items = chat.querySelectorAll("li[data-id]");
        chat.dataset.last = items[items.length - 1].dataset.id;
        scrollDown();
      })
      .catch(function () { /* the next poll tries again */ });
  }
  scrollDown();
  window.setInterval(poll, 3000);
})();
