# acm: multi-stage build. The builder compiles the release binary; the runtime
# image carries only the binary and CA certificates, and runs as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
# libclang is only needed for the optional header-check feature; not installed.
COPY Cargo.toml Cargo.lock ./
COPY build.rs ./
COPY src ./src
COPY include ./include
COPY benches ./benches
COPY cfg-examples ./cfg-examples
COPY sql ./sql
RUN cargo build --release --locked --bin acm

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/acm --create-home acm
COPY --from=build /src/target/release/acm /usr/local/bin/acm
COPY cfg-examples/acm.toml /etc/acm/acm.toml
# The binary's licence and the notices of the crates compiled into it (README, "Licence").
COPY LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES /usr/share/doc/acm/
USER acm
EXPOSE 8080
ENV ACM_LOG=info
ENTRYPOINT ["/usr/local/bin/acm", "--config", "/etc/acm/acm.toml"]
CMD ["serve"]
