// supplier pages' script: hand-written, no libraries.
//
// The catalogue's CSV import: the chosen file is POSTed as text/csv with XMLHttpRequest (so
// the upload's progress can be shown; fetch() cannot report it), with the page's CSRF token
// in the x-csrf-token header. The server answers the import's report as an HTML fragment it
// rendered and escaped itself, marked with the x-feed-report header; anything else (a
// sign-in page after a redirect, an error page) is not shown as a report. Every text shown
// comes from the page's data attributes, in the page's language.
(function () {
  'use strict';

  var box = document.getElementById('feed');
  var button = document.getElementById('feed-upload');
  var input = document.getElementById('feed-file');
  var progress = document.getElementById('feed-progress');
  var status = document.getElementById('feed-status');
  var report = document.getElementById('feed-report');
  if (!box || !button || !input || !progress || !status || !report) {
    return;
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute('content') : '';

  function say(text) {
    status.textContent = text || '';
  }

  function finish() {
    button.disabled = false;
    progress.hidden = true;
  }

  button.addEventListener('click', function () {
    var file = input.files && input.files[0];
    if (!file) {
      say(box.getAttribute('data-pick'));
      return;
    }
    button.disabled = true;
    report.textContent = '';
    progress.hidden = false;
    progress.max = 100;
    progress.value = 0;
    say(box.getAttribute('data-uploading'));

    var request = new XMLHttpRequest();
    request.open('POST', box.getAttribute('data-url'));
    request.setRequestHeader('x-csrf-token', token);
    request.setRequestHeader('content-type', 'text/csv');
    request.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable && event.total > 0) {
        progress.value = Math.round((event.loaded * 100) / event.total);
      }
    });
    request.upload.addEventListener('load', function () {
      // Sent whole; the import itself has no measurable progress here, so the bar turns
      // indeterminate until the report comes.
      progress.removeAttribute('value');
      say(box.getAttribute('data-importing'));
    });
    request.addEventListener('load', function () {
      finish();
      if (request.getResponseHeader('x-feed-report') === '1') {
        say('');
        report.innerHTML = request.responseText;
      } else {
        say(box.getAttribute('data-failed') + ' (HTTP ' + request.status + ')');
      }
    });
    request.addEventListener('error', function () {
      finish();
      say(box.getAttribute('data-failed'));
    });
    request.send(file);
  });
})();
