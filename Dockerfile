# The container image: one static-looking layer holding the single executable and only what it needs
# to start. The final stage's files are exactly what `scripts/scratch-rootfs` assembles (the build
# stage runs it), so that script can reproduce and test the image's contents without Docker.
#
#   docker build -t conduit .
#   docker run -p 6167:6167 -v conduit-data:/data \
#     -v ./conduit.toml:/etc/conduit/conduit.toml:ro -e CONDUIT_CONFIG=/etc/conduit/conduit.toml conduit

# Build stage: Bun comes from the lock file (npm ci), like everywhere else in this project.
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
RUN ./node_modules/.bin/bun run build \
 && scripts/scratch-rootfs dist/conduit /rootfs

# Final stage: /conduit, the dynamic loader and the libraries it links, CA certificates, /data.
FROM scratch
COPY --from=build /rootfs/ /
# Listen on every interface of the container; keep the database on the /data volume.
ENV CONDUIT_ADDRESS=0.0.0.0 CONDUIT_DATABASE_PATH=/data
VOLUME /data
EXPOSE 6167
ENTRYPOINT ["/conduit"]
