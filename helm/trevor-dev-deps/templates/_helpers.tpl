{{/*
Every object is named after the dependency it runs (postgres, redis, seaweedfs, keycloak,
otel-collector): trevor's values and dev Secret use these names, whatever the release is
called. Labels and selectors come from one helper that takes the component.
*/}}
{{- define "deps.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one dependency. Usage: include "deps.selectorLabels" (dict "ctx" $ "component" "redis")
*/}}
{{- define "deps.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{/*
All labels of one dependency's objects. Usage: include "deps.labels" (dict "ctx" $ "component" "redis")
*/}}
{{- define "deps.labels" -}}
helm.sh/chart: {{ include "deps.chart" .ctx }}
{{ include "deps.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: trevor-dev-deps
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
"repository:tag" of a component's image block.
*/}}
{{- define "deps.image" -}}
{{- printf "%s:%s" .repository .tag }}
{{- end }}

{{/*
What every dependency pod spec starts with: no API token, no service links (a Service
named redis would otherwise put REDIS_PORT=tcp://… into every pod's environment), the pull
secrets and the component's pod security context.
Usage: include "deps.podCommon" (dict "ctx" $ "values" .Values.redis)
*/}}
{{- define "deps.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .values.podSecurityContext | nindent 2 }}
{{- end }}

{{/*
The container fields every dependency shares: image, pull policy, security context, resources.
Usage: include "deps.containerCommon" .Values.redis
*/}}
{{- define "deps.containerCommon" -}}
image: {{ include "deps.image" .image | quote }}
imagePullPolicy: {{ .image.pullPolicy }}
securityContext:
  {{- toYaml .containerSecurityContext | nindent 2 }}
resources:
  {{- toYaml .resources | nindent 2 }}
{{- end }}
