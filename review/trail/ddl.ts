/**
 * The CREATE TABLE that `review --athena` queries, for one trail's bucket (`cordon athena-table`
 * prints it): the columns, SerDe and formats AWS documents for CloudTrail, with partition
 * projection over the account, the region and the day. Pure: printed, never run.
 */
import { SQL_NAME } from "./sql.ts";
import { BUCKET_NAME, ORG_ID, type S3Location } from "./layout.ts";

/**
 * The table's columns, names, types and order as AWS documents them for CloudTrail (with the Hive
 * JSON SerDe, request parameters and response elements are strings of JSON).
 * @see https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html
 */
const DOCUMENTED_COLUMNS = `    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
             userid: STRING,
             identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery:string,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: map<string,string>>
        >
    >,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
      reason:STRING,
      updatedfields:STRING,
      originalrequestid:STRING,
      originaleventid:STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
      tlsversion:STRING,
      ciphersuite:STRING,
      clientprovidedhostheader:STRING>`;

/** Characters an `athena-table` prefix may hold: S3's safe characters, nothing a DDL string must escape. */
export const DDL_PREFIX = /^[A-Za-z0-9!_.*()/-]*$/;

export interface TableSpec {
  bucket: string;
  /** Folder above AWSLogs/, without slashes at the ends. @default "" */
  prefix?: string;
  /** An organization trail's id. */
  org?: string;
  name: string;
  /** The regions the region partition enumerates. */
  regions: readonly string[];
  /** The first day the projection knows, `yyyy/MM/dd`. @default "2020/01/01", as AWS's example */
  firstDay?: string;
}

/**
 * The CREATE TABLE for a trail: the documented columns, SerDe and formats, with partition
 * projection over account (injected: every query names its accounts), region (an enum) and day
 * (a date, as documented). The documented projection is for one account and one region; the
 * account and region columns are cordon's, as the storage template of an organization trail needs.
 * @see https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html
 * @see https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */
export function tableDdl(spec: TableSpec): string {
  const prefix = spec.prefix ?? "";
  if (!BUCKET_NAME.test(spec.bucket)) throw new Error(`"${spec.bucket}" is not a bucket name`);
  if (!DDL_PREFIX.test(prefix)) throw new Error(`"${prefix}" holds characters a table location cannot`);
  if (spec.org !== undefined && !ORG_ID.test(spec.org)) throw new Error(`"${spec.org}" is not an organization id`);
  if (!SQL_NAME.test(spec.name)) throw new Error(`"${spec.name}" is not a table name`);
  const location: S3Location = { bucket: spec.bucket, prefix };
  const root = `s3://${location.bucket}/${prefix === "" ? "" : `${prefix}/`}AWSLogs/${spec.org === undefined ? "" : `${spec.org}/`}`;
  return `CREATE EXTERNAL TABLE ${spec.name.toLowerCase()}(
${DOCUMENTED_COLUMNS}
  )
PARTITIONED BY (
   account string,
   region string,
   \`timestamp\` string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION
  '${root}'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account.type'='injected',
  'projection.region.type'='enum',
  'projection.region.values'='${spec.regions.join(",")}',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'projection.timestamp.range'='${spec.firstDay ?? "2020/01/01"},NOW',
  'projection.timestamp.type'='date',
  'storage.location.template'='${root}\${account}/CloudTrail/\${region}/\${timestamp}')
`;
}
