# syntax=docker/dockerfile:1
# Gatehouse: Caddy (with caddy-l4 and the gatehouse module) built from source, then the Node control plane.

# --- 1. Caddy -----------------------------------------------------------------------------------------------
FROM golang:1.26-bookworm AS caddy
WORKDIR /src/caddy-module
COPY caddy-module/go.mod caddy-module/go.sum ./
RUN go mod download
COPY caddy-module/ ./
RUN CGO_ENABLED=0 go build -trimpath -o /out/caddy ./cmd/caddy && /out/caddy list-modules | grep -q '^gatehouse$'
# mkmmdb compiles the ASN database (asn policy conditions) from the npm package's CSVs in the deps stage.
RUN CGO_ENABLED=0 go build -trimpath -o /out/mkmmdb ./cmd/mkmmdb
# wireguard-go at the version pinned in wireguard-go/go.mod (Debian's predates segmentation offload).
WORKDIR /src/wireguard-go
COPY wireguard-go/go.mod wireguard-go/go.sum ./
RUN CGO_ENABLED=0 go build -trimpath -o /out/wireguard-go golang.zx2c4.com/wireguard && /out/wireguard-go --version

# --- 2. npm packages (production only) ------------------------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The workspace packages (the wire protocol and the LAN agent) are part of the install.
COPY packages ./packages
RUN npm ci --omit=dev --no-audit --no-fund
# bin/asn.mmdb from @ip-location-db/asn (CC BY 4.0), as scripts/build-asn-db.mjs builds it outside Docker.
COPY --from=caddy /out/mkmmdb /tmp/mkmmdb
RUN mkdir -p /app/bin && /tmp/mkmmdb -csv node_modules/@ip-location-db/asn/asn-ipv4.csv \
      -csv node_modules/@ip-location-db/asn/asn-ipv6.csv -out /app/bin/asn.mmdb && rm /tmp/mkmmdb

# --- 3. runtime ---------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends wireguard-tools iproute2 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin/gatehouse ./bin/gatehouse
COPY src ./src
COPY packages ./packages
COPY migrations ./migrations
COPY --from=caddy /out/caddy ./bin/caddy
COPY --from=deps /app/bin/asn.mmdb ./bin/asn.mmdb
COPY --from=caddy /out/wireguard-go ./bin/wireguard-go

# WireGuard needs CAP_NET_ADMIN (and /dev/net/tun for wireguard-go), so the process runs as root inside the
# container; without those capabilities Gatehouse runs with WireGuard marked unavailable. Ports: 80/443 for
# Caddy, 51820/udp for WireGuard, plus each L4 route's listen port (publish them too: deploy/docker-compose.yml).
ENV GATEHOUSE_DATA_DIR=/data \
    GATEHOUSE_CADDY_BIN=/app/bin/caddy \
    NODE_ENV=production
VOLUME ["/data"]
EXPOSE 80 443 51820/udp
# /healthz answers {"status":"ok"} (200) or {"status":"down"} (503); details need a login (/api/v1/health).
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>r.json()).then(b=>process.exit(b.status==='ok'?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/app/bin/gatehouse", "server"]
