{{/*
Naming. Kubernetes caps most names at 63 characters (DNS labels, and Job names end up
in a pod label), so every derived name is cut before its suffix is added, not after.
*/}}
{{- define "trevor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "trevor.fullname" -}}
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

{{/*
Name of a component's objects: "<fullname>-<suffix>", fitted into 63 characters.
Usage: include "trevor.componentFullname" (dict "ctx" $ "suffix" "worker")
*/}}
{{- define "trevor.componentFullname" -}}
{{- $max := sub 62 (len .suffix) | int }}
{{- printf "%s-%s" (include "trevor.fullname" .ctx | trunc $max | trimSuffix "-") .suffix }}
{{- end }}

{{- define "trevor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one component (api, worker, migrate). The component label is what
keeps the API's Service, PDB, HPA and NetworkPolicy off the worker's pods and back.
Without "component": the release's labels, for objects all components share.
Usage: include "trevor.selectorLabels" (dict "ctx" $ "component" "api")
*/}}
{{- define "trevor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trevor.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/*
All labels of one component's objects, as one map: commonLabels first, then the object's
own extra labels ("extraLabels": a pod template's podLabels, a ServiceMonitor's labels),
then the chart's standard and selector labels, which win. A standard key in the user's
maps can therefore neither appear twice nor move a pod out of its selector.
Usage: include "trevor.labels" (dict "ctx" $ "component" "api" ["extraLabels" .Values.podLabels])
*/}}
{{- define "trevor.labels" -}}
{{- $labels := dict }}
{{- range $k, $v := include "trevor.selectorLabels" . | fromYaml }}
{{- $_ := set $labels $k (toString $v) }}
{{- end }}
{{- $_ := set $labels "helm.sh/chart" (include "trevor.chart" .ctx) }}
{{- /* An image tag may start with "_" or end in "." or "_"; a label value may not. */}}
{{- $_ = set $labels "app.kubernetes.io/version" (.ctx.Values.image.tag | default .ctx.Chart.AppVersion | trunc 63 | trimAll "-_.") }}
{{- $_ = set $labels "app.kubernetes.io/managed-by" .ctx.Release.Service }}
{{- $_ = set $labels "app.kubernetes.io/part-of" "trevor" }}
{{- toYaml (merge $labels (.extraLabels | default dict) (.ctx.Values.commonLabels | default dict)) }}
{{- end }}

{{- define "trevor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "trevor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The migration hook runs before Helm creates the chart's own objects on a first install,
so it cannot use the chart's ServiceAccount: it gets one of its own, created as an
earlier hook. With serviceAccount.create=false the named (pre-existing) account is used.
*/}}
{{- define "trevor.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "trevor.componentFullname" (dict "ctx" . "suffix" "migrate") }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "trevor.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Number of API replicas the cluster will keep at the least: the HPA's floor when it owns
the count, replicaCount otherwise. PDB and NOTES decide from this, never from
replicaCount alone.
*/}}
{{- define "trevor.apiMinReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas | int }}{{ else }}{{ .Values.replicaCount | int }}{{ end }}
{{- end }}

{{/* The same for the worker: worker.autoscaling.minReplicas, or worker.replicaCount. */}}
{{- define "trevor.workerMinReplicas" -}}
{{- if .Values.worker.autoscaling.enabled }}{{ .Values.worker.autoscaling.minReplicas | int }}{{ else }}{{ .Values.worker.replicaCount | int }}{{ end }}
{{- end }}

{{/*
Environment of one trevor container (API, worker, migrations), one list with no duplicate
names: .Values.env wins over the runtime defaults that a read-only root filesystem needs
(uv and Python must write their caches under /tmp, and `uv run` must not try to sync the
baked virtualenv) and over the OpenTelemetry resource variables. The downward-API
variables come first: Kubernetes expands $(VAR) only from variables defined earlier.
Usage: include "trevor.env" (dict "ctx" $ "component" "api")
*/}}
{{- define "trevor.env" -}}
{{- $component := .component }}
{{- with .ctx }}
{{- $runtime := dict "HOME" "/tmp" "XDG_CACHE_HOME" "/tmp/.cache" "UV_CACHE_DIR" "/tmp/.cache/uv" "UV_NO_SYNC" "1" "PYTHONDONTWRITEBYTECODE" "1" "PYTHONUNBUFFERED" "1" }}
{{- $otel := .Values.opentelemetry }}
{{- if $otel.enabled }}
{{- $service := $otel.serviceName | default (include "trevor.fullname" .) }}
{{- $_ := set $runtime "OTEL_SERVICE_NAME" (ternary $service (printf "%s-%s" $service $component) (eq $component "api")) }}
{{- $_ = set $runtime "OTEL_RESOURCE_ATTRIBUTES" (printf "k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.pod.name=$(K8S_POD_NAME),service.version=%s" (.Values.image.tag | default .Chart.AppVersion)) }}
{{- end }}
{{- $env := merge (deepCopy (.Values.env | default dict)) $runtime -}}
env:
{{- if $otel.enabled }}
  - name: K8S_NAMESPACE_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
  - name: K8S_POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
{{- end }}
{{- range $k := keys $env | sortAlpha }}
  - name: {{ $k }}
    value: {{ get $env $k | toString | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . | indent 2 }}
{{- end }}
{{- if .Values.envFromSecrets }}
envFrom:
{{- range .Values.envFromSecrets }}
  - secretRef:
      name: {{ .secretName | quote }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Volume mounts of every trevor container (API, worker, migrations in the hook Job or the
init container): the writable /tmp (the root filesystem is read-only) and extraVolumeMounts,
so a DB CA bundle mounted for the API is there for Alembic too.
*/}}
{{- define "trevor.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes of every trevor pod: /tmp and extraVolumes. */}}
{{- define "trevor.volumes" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Scheduling knobs of one component's pods. A topology spread constraint without a
labelSelector gets the component's selector labels, so users need not repeat them.
Usage: include "trevor.podPlacement" (dict "ctx" $ "component" "api" "values" .Values)
*/}}
{{- define "trevor.podPlacement" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range .values.topologySpreadConstraints }}
  {{- $c := deepCopy . }}
  {{- if not $c.labelSelector }}
  {{- $_ := set $c "labelSelector" (dict "matchLabels" (include "trevor.selectorLabels" (dict "ctx" $.ctx "component" $.component) | fromYaml)) }}
  {{- end }}
  {{- /* Kubernetes counts tainted nodes the pods cannot use as domains (nodeTaintsPolicy Ignore): DoNotSchedule then leaves pods Pending. */}}
  {{- if not (hasKey $c "nodeTaintsPolicy") }}{{ $_ := set $c "nodeTaintsPolicy" "Honor" }}{{ end }}
  {{- if not (hasKey $c "nodeAffinityPolicy") }}{{ $_ := set $c "nodeAffinityPolicy" "Honor" }}{{ end }}
  - {{ toYaml $c | indent 4 | trim }}
{{- end }}
{{- end }}
{{- end }}

{{- /*
The problem with a PDB that lets no pod of its component be evicted at the component's lowest
replica count (n), or nothing when it lets one go. Kubernetes rounds percentages up:
minAvailable p% keeps ceil(p·n/100) pods, which is all of them when p·n > 100·(n-1);
maxUnavailable p% lets ceil(p·n/100) go, which is none only when p is 0.
validate.yaml collects it with the chart's other problems.
Usage: include "trevor.pdbProblem" (dict "name" "api" "min" 3 "minKey" "replicaCount"
       "key" "podDisruptionBudget" "pdb" .Values.podDisruptionBudget)
*/}}
{{- define "trevor.pdbProblem" -}}
{{- $n := .min | int }}
{{- $stuck := "so node drains and cluster upgrades would wait forever" }}
{{- $lower := printf "lower it, use %s.maxUnavailable instead, or set %s.enabled=false" .key .key }}
{{- if not (kindIs "invalid" .pdb.maxUnavailable) }}
{{- $v := toString .pdb.maxUnavailable }}
{{- if eq (trimSuffix "%" $v | int) 0 }}
{{- printf "%s.maxUnavailable (%s) lets no %s pod be evicted, %s: raise it, or set %s.enabled=false" .key $v .name $stuck .key }}
{{- else if and (hasSuffix "%" $v) (gt (trimSuffix "%" $v | int) 100) }}
{{- printf "%s.maxUnavailable (%s) is above 100%%: Kubernetes refuses it; use 100%% or less" .key $v }}
{{- end }}
{{- else }}
{{- $v := toString .pdb.minAvailable }}
{{- if hasSuffix "%" $v }}
{{- if gt (mul (trimSuffix "%" $v | int) $n) (mul 100 (sub $n 1)) }}
{{- printf "%s.minAvailable (%s of %s %d, rounded up) keeps every %s pod, %s: %s" .key $v .minKey $n .name $stuck $lower }}
{{- end }}
{{- else if ge ($v | int) $n }}
{{- printf "%s.minAvailable (%s) is not below %s (%d): no %s pod could be evicted, %s: %s" .key $v .minKey $n .name $stuck $lower }}
{{- end }}
{{- end }}
{{- end }}

{{- /*
Milliseconds in a Prometheus duration ("1h30m", "90s", "500ms"; the schema holds the format).
"ms" is tried before "m" so that 500ms is not read as 500 minutes.
*/}}
{{- define "trevor.durationMs" -}}
{{- $unit := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 }}
{{- $total := 0 }}
{{- range regexFindAll "[0-9]+(ms|[ywdhms])" (toString .) -1 }}
{{- $u := regexFind "[a-z]+$" . }}
{{- $total = add $total (mul (trimSuffix $u . | int64) (get $unit $u)) }}
{{- end }}
{{- $total }}
{{- end }}

{{- /*
A Kubernetes quantity ("100m", "0.5", "64Mi", "1e3") as a float, to compare requests with
limits (the schema holds the format). Binary and decimal suffixes as resource.Quantity has them.
*/}}
{{- define "trevor.quantity" -}}
{{- $s := toString . }}
{{- $suffix := regexFind "(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E|e[0-9]+)$" $s }}
{{- $factor := get (dict "" 1.0 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0) $suffix }}
{{- if hasPrefix "e" $suffix }}
{{- $factor = 1.0 }}
{{- range until (trimPrefix "e" $suffix | int) }}{{ $factor = mulf $factor 10 }}{{ end }}
{{- end }}
{{- mulf (trimSuffix $suffix $s | float64) $factor }}
{{- end }}

{{/* Egress to the cluster DNS, which every pod needs to resolve a Service name. */}}
{{- define "trevor.networkPolicyDnsEgress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
    {{- range .Values.networkPolicy.dns.ipBlocks }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{- /*
Egress is the same for every component: the dependencies in networkPolicy.egress, DNS,
and the escape hatch. A rule without "to" allows that port to any destination, which is
what external PostgreSQL, S3 or Keycloak need; narrow it with "to" where they run in-cluster.
*/}}
{{- define "trevor.networkPolicyEgress" -}}
{{- $np := .Values.networkPolicy -}}
{{ include "trevor.networkPolicyDnsEgress" . }}
{{- range $np.egress }}
- ports:
    {{- range .ports }}
    - port: {{ .port }}
      protocol: {{ .protocol | default "TCP" }}
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}
