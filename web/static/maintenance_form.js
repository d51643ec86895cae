// 提交管护记录: attach the phone's location when given; inside WeChat, take photos with the JS-SDK
// (chooseImage, then uploadImage: the server fetches each media id). The plain file input stays
// in use wherever the JS-SDK is not there or not configured.
(function () {
  "use strict";
  var form = document.getElementById("maintenance-form");
  if (!form) { return; }
  var latitude = form.querySelector("input[name=latitude]");
  var longitude = form.querySelector("input[name=longitude]");
  var placeNote = document.getElementById("location-status");

  function place(lat, lon) {
    latitude.value = Number(lat).toFixed(6);
    longitude.value = Number(lon).toFixed(6);
    placeNote.textContent = "已附上手机的位置。";
  }

  function browserPlace() {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      place(found.coords.latitude, found.coords.longitude);
    }, function () {
      placeNote.textContent = "没有取得位置，也可以提交。";
    }, {timeout: 15000, maximumAge: 60000});
  }

  var wx = window.wx;
  if (!wx || !form.dataset.wxAppId) {
    browserPlace();
    return;
  }
  wx.config({
    debug: false, appId: form.dataset.wxAppId, timestamp: Number(form.dataset.wxTimestamp),
    nonceStr: form.dataset.wxNonce, signature: form.dataset.wxSignature,
    jsApiList: ["chooseImage", "uploadImage", "getLocation"]
  });
  wx.error(browserPlace);  // a bad signature: the file input and the browser's location still work
  wx.ready(function () {
    var max = Number(form.dataset.maxPhotos) || 9;
    var count = 0;
    var counter = document.getElementById("wx-count");
    document.getElementById("file-photos").style.display = "none";
    document.getElementById("wx-photos").hidden = false;
    wx.getLocation({type: "wgs84", success: function (found) { place(found.latitude, found.longitude); }});

    function upload(localIds) {
      if (!localIds.length) { return; }
      wx.uploadImage({
        localId: localIds.shift(), isShowProgressTips: 1,
        success: function (result) {
          var field = document.createElement("input");
          field.type = "hidden";
          field.name = "media_ids";
          field.value = result.serverId;
          form.appendChild(field);
          count += 1;
          counter.textContent = "已选" + count + "张照片。";
          upload(localIds);
        },
        fail: function () { counter.textContent = "有照片没传上，请再选一次。"; }
      });
    }

    document.getElementById("wx-choose").addEventListener("click", function () {
      if (count >= max) { counter.textContent = "最多" + max + "张照片。"; return; }
      wx.chooseImage({
        count: max - count, sizeType: ["original"], sourceType: ["camera", "album"],
        success: function (result) { upload(result.localIds.slice()); }
      });
    });
  });
}());
