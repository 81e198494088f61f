# WhatsApp Web Server: Debian slim, Debian's Chromium for the webjs engine, Bun from npm.
#   docker build -t whatsapp-web-server .
#   docker run -p 127.0.0.1:3000:3000 -e API_KEY=<at least 16 chars> -v wws-data:/data whatsapp-web-server
FROM node:22-bookworm-slim

# chromium: the browser whatsapp-web.js drives; fonts so WhatsApp Web renders; tini reaps
# Chromium's helper processes (the server is not an init).
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json bun.lock .puppeteerrc.cjs ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json bunfig.toml ./
COPY src ./src

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin whatsapp \
 && mkdir -p /data && chown whatsapp /data

ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    CHROME_PATH=/usr/bin/chromium \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 3000
USER whatsapp

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/whatsapp/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/app/node_modules/.bin/bun", "src/index.ts"]
