// Staff console: the only script. No framework, no network calls; everything works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    document.querySelectorAll("form[data-shrink-photos]").forEach(shrinkPhotosOnSubmit);
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  });

  // A phone camera's photo is several MB; the service takes a form of 1 MB at most. Photos are
  // scaled down in the page (longest side 1600 px, JPEG) before the form is sent, so a grid
  // worker can attach them as they are. Without this script the form still works for small files.
  var LIMIT = 600 * 1024;
  function shrink(file) {
    if (!/^image\//.test(file.type) || file.size <= LIMIT || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob ? new File([blob], name, { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.8);
      });
    }).catch(function () { return file; });
  }
  function shrinkPhotosOnSubmit(form) {
    var busy = false;
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (busy || !input || !input.files.length || !window.DataTransfer) {
        return;
      }
      event.preventDefault();
      busy = true;
      Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
        var list = new DataTransfer();
        files.forEach(function (f) { list.items.add(f); });
        input.files = list.files;
        form.submit();
      });
    });
  }
})();
