import csv, datetime as dt, random
random.seed(17)
D=dt.date
F="Northumbria"
inc=[]; ppl=[]; ras=[]; orders=[]
seq=[1000]
def ref(d):
    seq[0]+=7
    return f"NOR-{d.year%100:02d}-{seq[0]:05d}"
rid=[0]
def person(r, role, p):
    rid[0]+=1
    ppl.append([f"E{rid[0]:04d}",F,r,role,p.get('nom',''),p['fn'],'',p['sn'],p.get('dob',''),p.get('sex',''),p.get('addr',''),p.get('pc',''),p.get('phone',''),'','','',''])
def report(d, code, desc, narr, v, s, da='N', outcome='', odate='', sec='', course='', violent='', linked=''):
    r=ref(d)
    inc.append([F,r,d.isoformat(),d.isoformat(),code,desc,da,'N',linked,outcome,odate,narr,sec,course,violent])
    person(r,'victim',v)
    if s: person(r,'suspect',s)
    return r
FN=["Amy","Beth","Carla","Dawn","Emma","Fiona","Gemma","Hannah","Isla","Jade","Karen","Laura","Megan","Nadia","Olivia","Paula","Rosie","Sara","Tanya","Una","Vicky","Wendy","Yasmin","Zoe","Alice","Bryony","Chloe","Donna","Ellie","Faye","Gail","Helen","Imogen","Jenny","Kirsty","Lucy"]
SN=["Armstrong","Bell","Charlton","Dodd","Elliott","Forster","Gray","Hall","Irving","Johnson","Kerr","Lowes","Milburn","Nixon","Oliver","Pattinson","Robson","Scott","Tait","Usher","Vickers","Walton","Young","Anderson","Brown","Craig","Davison","Errington","Fenwick","Graham","Heron","Ingram","Jobson","Kirkup","Lamb","Moffat"]
MN=["Adam","Ben","Carl","Dean","Evan","Frank","Gary","Harry","Ian","Jack","Kyle","Liam","Mark","Neil","Owen","Paul","Ross","Steve","Tom","Vince","Wayne","Alan","Brian","Colin","Darren","Eric","Fraser","Glen","Hugh","Jason","Keith","Lewis","Matt","Nathan","Oscar","Phil"]
MS=["Appleby","Brannigan","Coulson","Dixon","Eastwood","Fairbairn","Gibson","Hedley","Iley","Jameson","Kell","Liddle","Marshall","Nesbitt","Orde","Potts","Reay","Shield","Thompson","Urwin","Varty","Wilkinson","Yeoman","Atkinson","Brough","Cairns","Dunn","Emmerson","Foggon","Grieve","Hogg","Hume","Jordan","Knox","Laws","Mather"]
def mk(fn,sn,k,sex):
    return dict(fn=fn,sn=sn,dob=D(1970+k%30,1+k%12,1+k%27).isoformat(),sex=sex,phone=f"07700 9{k:05d}",nom=f"NB{k:06d}")
MUNDANE=["Unwanted messages from former colleague","Suspect keeps calling her after she asked him to stop","Abusive comments posted about her online","Suspect sent her a long message demanding to talk","Repeated unwanted texts overnight"]
background=[]
# 36 background courses: most short and over, some with old threats, three live decoys.
for k in range(36):
    v=mk(FN[k],SN[k],100+k,'F'); s=mk(MN[k],MS[k],300+k,'M')
    n=2+(k%3)
    if k<30:
        start=D(2022,1,10)+dt.timedelta(days=19*k)
        gaps=[20+5*(j+k%4) for j in range(n-1)]
    else:
        start=D(2024,3,20)+dt.timedelta(days=3*(k-30))
        n=5; gaps=[3,4,5,3]
    d=start
    for j in range(n):
        narr=MUNDANE[(k+j)%5]
        if k%6==0 and j==n-1 and k<30:
            narr="Suspect threatened to kill her if she told anyone"
        report(d,'8L','Harassment',narr,v,s,course=f"B{k:02d}")
        if j<n-1: d=d+dt.timedelta(days=gaps[j])
    background.append(k)
# Kayleigh Dunn and her ex-partner Martin Shaw: 26 reports, quiet at first, then weekly, then
# every few days; she withdraws after report 8 while reports go on; S-DASH graded high on
# report 20; a threat to kill in report 23; stabbed on 2024-06-14.
kd=dict(fn="Kayleigh",sn="Dunn",dob="1994-03-11",sex="F",addr="22 Shields Road, Byker",pc="NE6 1DL",phone="07700 900612",nom="NB900612")
ms=dict(fn="Martin",sn="Shaw",dob="1989-11-02",sex="M",phone="07700 900845",nom="NB900845")
gaps=[62,48,51,40,37,33,30,28,21,19,15,14,12,10,9,7,7,6,5,4,4,3,3,2,2]
d=D(2023,1,4)
narrs=["Ex-partner keeps messaging her after she ended the relationship","Suspect turned up at her door asking to talk","Dozens of messages overnight from suspect","Suspect waited outside her workplace","Suspect sent flowers and a card; victim does not want contact"]
kref=[]
for j in range(26):
    narr=narrs[j%5]
    code,desc='8Q','Stalking'
    outcome=odate=''
    if j==7:
        outcome,odate='16',(d+dt.timedelta(days=20)).isoformat()
        narr+=". Victim does not support further action"
    if j==22: narr="Suspect told her he would kill her if she went to the police again"
    if j<25:
        r=report(d,code,desc,narr,kd,ms,da='Y',outcome=outcome,odate=odate,course="KD")
    else:
        r=report(d,'5D','Wounding with intent',"Suspect stabbed victim at her home address; taken to hospital",kd,ms,da='Y',course="KD",violent="true")
    kref.append((r,d))
    if j==19: ras.append([F,r,(d+dt.timedelta(days=1)).isoformat(),'S-DASH','high','frightened;visits_3_per_week;loitering;threats','Victim very frightened, he is outside her house most nights'])
    if j==3: ras.append([F,r,(d+dt.timedelta(days=2)).isoformat(),'S-DASH','medium','frightened;previous_harassment',''])
    if j<25: d=d+dt.timedelta(days=gaps[j])
# Sophie Lamb and Craig Ellis: two unremarkable reports, then violence: a course with few signs.
sl=dict(fn="Sophie",sn="Lamb",dob="1999-08-19",sex="F",phone="07700 900733",nom="NB900733")
ce=dict(fn="Craig",sn="Ellis",dob="1996-04-27",sex="M",phone="07700 900188",nom="NB900188")
report(D(2024,3,2),'8L','Harassment',"Suspect sent her unwanted messages after a night out",sl,ce,course="SL")
report(D(2024,5,20),'8L','Harassment',"Suspect messaged her friends asking where she lives",sl,ce,course="SL")
report(D(2024,6,20),'5D','Wounding with intent',"Suspect attacked victim in the street, causing serious injuries",sl,ce,course="SL",violent="true")
inc.sort(key=lambda r:(r[2],r[1]))
# References in recorded order, as a force's system issues them.
new={}
for n,r in enumerate(inc):
    d=D.fromisoformat(r[2]); new[r[1]]=f"NOR-{d.year%100:02d}-{4000+37*n:05d}"; r[1]=new[r[1]]
for p in ppl: p[2]=new[p[2]]
for a in ras: a[1]=new[a[1]]
ppl.sort(key=lambda p:(p[2],p[3]!='victim'))
for n,p in enumerate(ppl): p[0]=f"E{n+1:04d}"
with open('incidents.csv','w',newline='') as f:
    w=csv.writer(f); w.writerow(["force","incident_ref","recorded_date","occurred_date","offence_code","offence_description","domestic_abuse","cyber","linked_refs","outcome_type","outcome_date","narrative","secondary_offence_codes","true_course_id","true_serious_violence"]); w.writerows(inc)
with open('people.csv','w',newline='') as f:
    w=csv.writer(f); w.writerow(["record_id","force","incident_ref","role","local_person_id","forename","middle_names","surname","date_of_birth","sex","address","postcode","phone","email","online_handles","pnc_id","ni_number"]); w.writerows(ppl)
with open('risk_assessments.csv','w',newline='') as f:
    w=csv.writer(f); w.writerow(["force","incident_ref","assessed_date","tool","grade","yes_answers","assessor_notes"]); w.writerows(ras)
print(len(inc),len(ppl),[r for r in inc if r[14]])
