// Chromium comes from the system (CHROME_PATH or Debian's `chromium`); never download a browser on install.
module.exports = { skipDownload: true };
