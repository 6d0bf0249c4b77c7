// Progressive enhancement only: every page works without this file.
// Import form: upload with a progress bar (XMLHttpRequest reports upload progress), then show
// the server's report page. Without JavaScript the form posts normally.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('import');
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const box = document.getElementById('import-progress');
    const bar = document.getElementById('upload-bar');
    const button = form.querySelector('button[type=submit]');
    if (box) box.hidden = false;
    if (button) button.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.addEventListener('progress', (e) => {
      if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    // Uploaded: the server is checking and storing; an indeterminate bar says so.
    xhr.upload.addEventListener('load', () => { if (bar) bar.removeAttribute('value'); });
    xhr.addEventListener('load', () => {
      document.open();
      document.write(xhr.responseText);
      document.close();
      history.replaceState(null, '', form.action);
    });
    xhr.addEventListener('error', () => { if (button) button.disabled = false; form.submit(); });
    xhr.send(new FormData(form));
  });
});
