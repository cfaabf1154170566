# QaaS service image: API + worker. Built the same way the README builds it (scripts/install-prerequisites.sh).
# Not built in CI here (no Docker engine on these machines).
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/fetch-assets.sh \
 && dotnet publish src/Qaas.Api/Qaas.Api.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim
# PostgreSQL binaries serve the embedded single-node mode; production sets ConnectionStrings__Qaas instead.
RUN apt-get update -qq && echo "create_main_cluster = false" > /tmp/cc \
 && mkdir -p /etc/postgresql-common && mv /tmp/cc /etc/postgresql-common/createcluster.conf \
 && apt-get install -y -qq --no-install-recommends postgresql && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
COPY --from=build /src/.cache/onnxruntime/libonnxruntime.so.1 /opt/onnxruntime/libonnxruntime.so.1
ENV QAAS_ORT_LIBRARY=/opt/onnxruntime/libonnxruntime.so.1 \
    QAAS_URLS=http://0.0.0.0:8080 \
    QAAS_DATA_DIR=/var/lib/qaas
EXPOSE 8080
ENTRYPOINT ["dotnet", "Qaas.Api.dll"]
