{{/* Names and labels. */}}
{{- define "oncefleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "oncefleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "oncefleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "oncefleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "oncefleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oncefleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "oncefleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "oncefleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "oncefleet.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/* The Secret the pods read: an existing one, or the chart's. */}}
{{- define "oncefleet.secretName" -}}
{{- default (include "oncefleet.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Whether the migration Job runs (PostgreSQL only: SQLite lives on serve's volume). */}}
{{- define "oncefleet.migrationJob" -}}
{{- if and (eq .Values.database.engine "postgres") .Values.migration.enabled }}true{{ end }}
{{- end }}

{{/* The ONCEFLEET_* variables that come from Secret keys; absent keys leave them unset. */}}
{{- define "oncefleet.secretEnv" -}}
{{- $secret := include "oncefleet.secretName" . }}
{{- range $env, $key := dict "ONCEFLEET_DATABASE_URL" "database-url" "ONCEFLEET_REDIS_URL" "redis-url" "ONCEFLEET_ONCE_CLIENT_SECRET" "once-client-secret" "ONCEFLEET_STREAMER_USERNAME" "streamer-username" "ONCEFLEET_STREAMER_PASSWORD" "streamer-password" "ONCEFLEET_JWT_KEY" "jwt-key" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end }}

{{/* Refuse value combinations that would deploy a broken shape. */}}
{{- define "oncefleet.validate" -}}
{{- $v := .Values }}
{{- if not (has $v.database.engine (list "sqlite" "postgres")) }}
{{- fail (printf "database.engine must be sqlite or postgres, got %q" $v.database.engine) }}
{{- end }}
{{- if eq $v.database.engine "sqlite" }}
{{- if or (gt (int $v.serve.replicas) 1) $v.serve.autoscaling.enabled $v.worker.enabled }}
{{- fail "database.engine=sqlite runs one serve replica and no worker (the database file belongs to one process): set database.engine=postgres for replicas, autoscaling or the worker" }}
{{- end }}
{{- else }}
{{- if and (not $v.secrets.existingSecret) (not $v.secrets.databaseURL) }}
{{- fail "database.engine=postgres needs secrets.databaseURL, or secrets.existingSecret with the key database-url" }}
{{- end }}
{{- if and (not $v.secrets.existingSecret) (not $v.secrets.redisURL) (or (gt (int $v.serve.replicas) 1) $v.serve.autoscaling.enabled $v.worker.enabled) }}
{{- fail "more than one oncefleet process must share the 1NCE token and request budget: set secrets.redisURL (or the key redis-url of secrets.existingSecret)" }}
{{- end }}
{{- if and (not $v.secrets.existingSecret) (not $v.secrets.jwtKey) (or (gt (int $v.serve.replicas) 1) $v.serve.autoscaling.enabled) }}
{{- fail "serve replicas must verify each other's access tokens: set secrets.jwtKey (openssl rand -base64 32), or the key jwt-key of secrets.existingSecret" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod spec shared by serve and worker: .root is the chart context, .component the
     command, .values its section of the values. */}}
{{- define "oncefleet.pod" -}}
{{- $root := .root }}
{{- $c := .values -}}
serviceAccountName: {{ include "oncefleet.serviceAccountName" $root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ .component }}
    image: {{ include "oncefleet.image" $root | quote }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: [{{ .component | quote }}{{ if and (eq .component "serve") $root.Values.worker.enabled }}, "--no-jobs"{{ end }}]
    ports:
      - name: http
        containerPort: 8080
        protocol: TCP
    envFrom:
      - configMapRef:
          name: {{ include "oncefleet.fullname" $root }}
    env:
      {{- include "oncefleet.secretEnv" $root | trim | nindent 6 }}
    startupProbe:
      httpGet:
        path: /health/live
        port: http
      periodSeconds: 2
      failureThreshold: 60
    livenessProbe:
      httpGet:
        path: /health/live
        port: http
      periodSeconds: 10
      timeoutSeconds: 3
      failureThreshold: 3
    readinessProbe:
      httpGet:
        path: /health/ready
        port: http
      periodSeconds: 5
      timeoutSeconds: 3
      failureThreshold: 2
    resources:
      {{- toYaml $c.resources | nindent 6 }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    volumeMounts:
      - name: data
        mountPath: /var/lib/oncefleet
      - name: tmp
        mountPath: /tmp
volumes:
  - name: data
    {{- if and (eq $root.Values.database.engine "sqlite") $root.Values.persistence.enabled }}
    persistentVolumeClaim:
      claimName: {{ $root.Values.persistence.existingClaim | default (include "oncefleet.fullname" $root) }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
